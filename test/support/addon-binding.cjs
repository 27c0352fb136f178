// The addon under test (RTIMER_TEST_ADDON), standing in for lib/native/binding; see addon-override.mjs.
// Its batch loop is installed as the shipped loader does, so the swapped build runs the same path
// (lib's copy of the loop: tsx is loaded wherever the override is).
exports.binding = require(process.env.RTIMER_TEST_ADDON);
require('../../lib/native/dispatch-loop.ts').installDispatchLoop(exports.binding);
