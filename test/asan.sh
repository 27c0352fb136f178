#!/usr/bin/env bash
# Builds the addon with AddressSanitizer in a scratch copy and runs the native tests on it, in this
# process and in the child processes the tests start (test/support/addon-override.mjs swaps it in).
# Not part of `npm test` (slow, and needs libasan at run time): `npm run test:asan`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$root/binding.gyp" "$dir/" && cp -r "$root/native" "$dir/" && ln -s "$root/node_modules" "$dir/node_modules"
(cd "$dir" && RTIMER_ASAN=1 node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --loglevel=error >/dev/null)
cd "$root"
# Node itself is not instrumented and leaks by design at exit, so leak detection is off; every
# invalid access or use-after-free in the addon still aborts the run.
LD_PRELOAD="$(g++ -print-file-name=libasan.so)" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
RTIMER_TEST_ADDON="$dir/build/Release/rtimer.node" \
NODE_OPTIONS="--import=tsx --import=$root/test/support/addon-override.mjs" \
  node node_modules/mocha/bin/mocha.js --no-config --reporter dot --timeout 60000 \
  test/native.test.ts test/native-lifecycle.test.ts test/native-batch.test.ts test/native-loop.test.ts test/precision.test.ts test/floor-thread.test.ts test/faults/native.ts
