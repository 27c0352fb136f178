// Test-only seam: `node --import tsx --import ./test/support/addon-override.mjs` with
// RTIMER_TEST_ADDON set to a .node file makes this package's lib/native/binding and dist/native/binding export
// that build instead, so the portable and AddressSanitizer builds run the same tests. The shipped
// code has no such hook. Both loaders are covered: mocha loads .ts tests through tsx's require(),
// child scripts import dist/ as ES modules. Register it after tsx, so that it runs first.
import Module, { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const addon = process.env.RTIMER_TEST_ADDON;
if (addon) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const shim = fileURLToPath(new URL('./addon-binding.cjs', import.meta.url));
  const targets = [`${root}lib/native/binding.ts`, `${root}lib/native/binding.js`, `${root}dist/native/binding.js`];
  register('./addon-hooks.mjs', { parentURL: import.meta.url, data: { targets: targets.map((t) => pathToFileURL(t).href), shim: pathToFileURL(shim).href } });
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (...args) {
    const found = resolve.apply(this, args);
    return targets.includes(found) ? shim : found;
  };
}
