// Reviewer's failing tests for issue 9 (branch h-review): each reproduces a finding of the review.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RTimer } from '../../lib/index.js';
import { waitFor, workersOf } from '../support/procs.js';
import { CLI, ROOT } from '../support/run.js';

const HOOKS = fileURLToPath(new URL('../fixtures/review/start-hooks.mjs', import.meta.url));
const SLOW = fileURLToPath(new URL('../fixtures/review/slow-import.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('faults: review of issue 9', function () {
  this.timeout(30000);
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-review-')); });
  afterEach(async () => {
    delete process.env.REVIEW_START;
    rmSync(dir, { recursive: true, force: true });
    for (const pid of workersOf(process.pid)) process.kill(pid, 'SIGKILL');
  });

  it('a start() retried from the rejection of a start() that stop() aborted does not bring a stopped RTimer back', async () => {
    process.env.REVIEW_START = `hang-once:${join(dir, 'flag')}`;
    const rt = new RTimer({ routes: HOOKS });
    rt.timer({ name: 't', interval: '10ms', mode: 1 }).exec({ timer: 't', route: 'R' });
    let retried: Promise<unknown> = Promise.resolve();
    rt.start().catch(() => { retried = rt.start().catch(() => undefined); });
    await sleep(300);
    await rt.stop();
    await retried;
    assert.equal(rt.state, 'stopped', 'stop() resolved: the RTimer is stopped for good');
    await rt.start().then(() => assert.fail('start() after stop() must reject'), (e: { code?: string }) => assert.equal(e.code, 'ERR_RTIMER_STOPPED'));
    await rt.stop();
    assert.deepEqual(workersOf(process.pid), [], 'no worker runs after stop()');
  });

  it('a worker that dies after loading, before it is armed, fails start() at once, not after startTimeoutMs', async () => {
    process.env.REVIEW_START = 'die-after-load';
    const rt = new RTimer({ routes: HOOKS, supervisor: { startTimeoutMs: 10000 } });
    rt.timer({ name: 't', interval: '10ms', mode: 2 }).exec({ timer: 't', route: 'R' });
    const t0 = Date.now();
    const err = await rt.start().then(() => null, (e: Error) => e);
    const took = Date.now() - t0;
    await rt.stop();
    assert.ok(err, 'start() rejects');
    assert.match(err.message, /exited \(code 5\)/);
    assert.ok(took < 5000, `start() took ${took} ms`);
  });

  it('one worker whose onWorkerStart throws fails start() at once while another still hangs in its own', async () => {
    process.env.REVIEW_START = 'one-fails';
    const rt = new RTimer({ routes: HOOKS, supervisor: { startTimeoutMs: 10000 } });
    rt.timer({ name: 't', interval: '10ms', mode: 2 }).exec({ timer: 't', route: 'R' });
    const t0 = Date.now();
    const err = await rt.start().then(() => null, (e: { code?: string }) => e);
    const took = Date.now() - t0;
    await rt.stop();
    assert.equal(err?.code, 'ERR_RTIMER_WORKER_INIT');
    assert.ok(took < 5000, `start() took ${took} ms`);
  });

  it('timers() after start() returns copies: changing them does not change what a restarted worker runs', async () => {
    const rt = new RTimer({ routes: HOOKS, supervisor: { backoffMs: 10 } });
    rt.timer({ name: 't', interval: '100ms', mode: 1 }).exec({ timer: 't', route: 'R' });
    const errors: Error[] = [];
    let restarted = false;
    rt.on('error', (e) => errors.push(e));
    rt.on('worker-restart', () => { restarted = true; });
    await rt.start();
    const t = rt.timers()[0];
    t.routes.push('NOPE');
    (t as { intervalUs: number }).intervalUs = 1000;
    process.kill(rt.stats()[0].workers![0].pid!, 'SIGKILL');
    await waitFor(() => restarted || errors.length > 0, 5000);
    await rt.stop();
    assert.deepEqual(errors.map((e) => e.message), []);
    assert.equal(rt.stats()[0].intervalUs, 100000);
    assert.deepEqual(rt.timers()[0].routes, ['R']);
  });

  it('stop() during a start() still importing an in-process routes module rejects start() and does not wait for the import', async () => {
    const rt = new RTimer({ routes: SLOW });
    rt.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec({ timer: 't', route: 'R' });
    const started = rt.start().then(() => 'resolved', (e: { code?: string }) => e.code);
    await sleep(200);
    const t0 = Date.now();
    await rt.stop();
    const took = Date.now() - t0;
    assert.equal(await started, 'ERR_RTIMER_STOPPED');
    assert.ok(took < 1500, `stop() took ${took} ms`);
  });

  it('rtimer run: Ctrl-C while a worker hangs in onWorkerStart stops at once', async () => {
    const cfg = join(dir, 'k.cfg');
    (await import('node:fs')).writeFileSync(cfg, 'modparam("rtimer", "timer", "name=m;mode=1;interval=20000u")\nmodparam("rtimer", "exec", "timer=m;route=R")\n');
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--routes', HOOKS], { cwd: ROOT, env: { ...process.env, REVIEW_START: 'hang' }, stdio: 'ignore' });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await sleep(1500);
    const t0 = Date.now();
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await closed;
    clearTimeout(killer);
    assert.ok(Date.now() - t0 < 5000, `rtimer run took ${Date.now() - t0} ms to stop after SIGINT`);
  });
});
