// The addon under test (RTIMER_TEST_ADDON), standing in for lib/native/binding; see addon-override.mjs.
exports.binding = require(process.env.RTIMER_TEST_ADDON);
