import assert from 'node:assert/strict';
import { runNode } from './support/run.js';

// Each scenario runs in its own process, which must exit by itself with code 0 and no signal.
const scenario = (body: string) => ['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
let ran = 0;
const rt = new RTimer({ routes: { R() { ran++; } } });
rt.timer('name=t;interval=1').exec('timer=t;route=R');
${body}
`];

describe('process lifecycle (mode 0)', () => {
  it('a created, never started RTimer does not hold the process', async () => {
    const r = await runNode(scenario(''), { timeoutMs: 5000 });
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
  });

  it('a running timer keeps the process alive; stop() lets it exit', async () => {
    const r = await runNode(scenario(`await rt.start(); setTimeout(async () => { await rt.stop(); console.log('ran', ran); }, 2300);`));
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    assert.equal(r.stdout.trim(), 'ran 2');
  });

  it('an unref()d timer lets the process exit on its own', async () => {
    const t0 = Date.now();
    const r = await runNode(scenario('await rt.start(); rt.unref(); console.log(rt.hasRef());'), { timeoutMs: 5000 });
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'false'], r.stderr);
    assert.ok(Date.now() - t0 < 4000);
  });

  it('process.exit() inside a route exits with that code', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: { R() { process.exit(0); } } });
rt.timer('name=t;interval=1').exec('timer=t;route=R');
await rt.start();`]);
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
  });

  it('is usable from CommonJS through require()', async () => {
    const r = await runNode(['-e', `
const { RTimer, loadKamailioConfig } = require('node-rtimer');
const cfg = loadKamailioConfig('examples/kamailio.cfg');
const rt = new RTimer({ config: cfg });
console.log(rt.timers().map((t) => t.name).join(','));`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'heartbeat,cleanup,media');
  });
});
