import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildPortable } from './support/build-portable.js';
import { runNode } from './support/run.js';

const override = new URL('./support/addon-override.mjs', import.meta.url).pathname;

const mochaBin = new URL('../node_modules/mocha/bin/mocha.js', import.meta.url).pathname;

// The steady_clock fallback is what other platforms get; building and testing it here keeps it alive.
describe('portable fallback build (RTIMER_PORTABLE=1)', function () {
  this.timeout(240_000);
  let addon = '';

  before(() => { addon = buildPortable(); });
  after(() => rmSync(dirname(dirname(dirname(addon))), { recursive: true, force: true }));

  it('the shipped loader has no override hook: RTIMER_BINDING is ignored', async () => {
    const r = await runNode(['--input-type=module', '-e', "import { capabilities } from './dist/index.js'; console.log(capabilities().wait);"],
      { env: { RTIMER_BINDING: addon } });
    assert.equal(r.stdout.trim(), process.platform === 'linux' ? 'timerfd' : 'steady_clock', r.stderr);
  });

  it('waits on the steady clock instead of timerfd', async () => {
    const r = await runNode(['--import', override, '--input-type=module', '-e', "import { capabilities } from './dist/index.js'; console.log(capabilities().wait);"],
      { env: { RTIMER_TEST_ADDON: addon } });
    assert.equal(r.stdout.trim(), 'steady_clock', r.stderr);
  });

  it('passes the native engine tests', async () => {
    // --no-config: the project's .mocharc would add every spec, this file included.
    const r = await runNode(['--import', 'tsx', '--import', override, mochaBin, '--no-config', '--reporter', 'dot', '--timeout', '20000', 'test/native.test.ts'],
      { env: { RTIMER_TEST_ADDON: addon, RTIMER_TEST_WAIT: 'steady_clock' }, timeoutMs: 200_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /[1-9][0-9]* passing/);
  });
});
