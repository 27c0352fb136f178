// Test-only seam: `node --import ./test/support/addon-override.mjs` with RTIMER_TEST_ADDON set to
// a .node file makes lib/binding (and dist/binding) export that build instead of the package's own,
// so the portable and AddressSanitizer builds run the same tests. The shipped code has no such hook.
import { register } from 'node:module';

const addon = process.env.RTIMER_TEST_ADDON;
if (addon) register('./addon-hooks.mjs', { parentURL: import.meta.url, data: { addon } });
