// The addon under test (RTIMER_TEST_ADDON), standing in for lib/native/binding; see addon-override.mjs.
// Its batch loop is installed as the shipped loader does, so the swapped build runs the same path:
// lib's copy where tsx is loaded, dist's otherwise (plain JS, through require() of an ES module).
exports.binding = require(process.env.RTIMER_TEST_ADDON);
const loop = require.extensions['.ts'] ? '../../lib/native/dispatch-loop.ts' : '../../dist/native/dispatch-loop.js';
try {
  require(loop).installDispatchLoop(exports.binding);
} catch (err) {
  // A Node without require() of ES modules: the engine delivers one call per tick, as it can.
  if (err?.code !== 'ERR_REQUIRE_ESM') throw err;
}
