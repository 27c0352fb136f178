import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RTimer, type RTimerOptions } from '../lib/index.js';
import { sleep } from './support/native.js';
import { alive, waitFor, workersOf } from './support/procs.js';
import { runNode } from './support/run.js';

const ROUTES = fileURLToPath(new URL('./fixtures/process-routes.mjs', import.meta.url));
interface Entry { pid: number; route?: string; hook?: string; worker: number; tick: number; id: number; scheduled?: string }

describe('dedicated timer processes (mode=N)', function () {
  let dir = '';
  let logFile = '';
  const read = (): Entry[] => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const make = (opts: Partial<RTimerOptions> = {}) => new RTimer({ routes: ROUTES, ...opts });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtimer-proc-'));
    logFile = join(dir, 'log.jsonl');
    writeFileSync(logFile, '');
    process.env.RTIMER_TEST_LOG = logFile;
  });
  afterEach(async () => {
    delete process.env.RTIMER_TEST_INIT_THROWS;
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(workersOf(process.pid), [], 'no worker process left behind');
  });

  it('mode=2: two processes, indexes 0 and 1, each running every route every tick, in order', async () => {
    const rt = make();
    rt.timer('name=ta;mode=2;interval=50000u').exec('timer=ta;route=FIRST').exec('timer=ta;route=SECOND');
    await rt.start();
    await sleep(400);
    await rt.stop();
    const calls = read().filter((e) => e.route);
    const pids = [...new Set(calls.map((e) => e.pid))];
    assert.equal(pids.length, 2);
    assert.ok(!pids.includes(process.pid));
    assert.deepEqual([...new Set(calls.map((e) => e.worker))].sort(), [0, 1]);
    for (const pid of pids) {
      const mine = calls.filter((e) => e.pid === pid);
      assert.ok(mine.length >= 8, `${mine.length} calls in ${pid}`);
      mine.forEach((e, i) => {
        assert.equal(e.route, i % 2 === 0 ? 'FIRST' : 'SECOND', 'declaration order, every tick');
        assert.equal(e.id, i + 1, 'the faked message id counts per process');
        assert.equal(e.tick, Math.floor(i / 2) + 1);
      });
    }
    const hooks = read().filter((e) => e.hook);
    assert.deepEqual(hooks.filter((h) => h.hook === 'start').map((h) => h.worker).sort(), [0, 1]);
    assert.deepEqual(hooks.filter((h) => h.hook === 'stop').map((h) => h.worker).sort(), [0, 1]);
    const [s] = rt.stats();
    assert.equal(s.workers!.length, 2);
    assert.deepEqual(s.workers!.map((w) => w.worker), [0, 1]);
    for (const w of s.workers!) {
      assert.equal(w.executions + w.missed, w.ticks);
      assert.equal(w.executions, calls.filter((e) => e.pid === w.pid && e.route === 'FIRST').length);
      assert.equal(w.lateness.count, w.executions);
      assert.equal(w.state, 'stopped');
    }
    assert.equal(s.ticks, s.workers![0].ticks + s.workers![1].ticks);
    assert.equal(s.lateness.count, s.executions);
  });

  it('stagger spreads the workers over the interval', async () => {
    const rt = make();
    rt.timer({ name: 'ta', mode: 2, interval: '100ms', stagger: true }).exec('timer=ta;route=FIRST');
    await rt.start();
    await sleep(350);
    await rt.stop();
    const calls = read().filter((e) => e.route);
    const at = (w: number, tick: number) => BigInt(calls.find((e) => e.worker === w && e.tick === tick)!.scheduled!);
    assert.equal(at(1, 1) - at(0, 1), 50_000_000n);
  });

  it('start() rejects naming the module, the route and the worker, and leaves no process', async () => {
    const missing = make({ routes: join(dir, 'nope.mjs') });
    missing.timer('name=ta;mode=2;interval=1000u').exec('timer=ta;route=FIRST');
    await assert.rejects(missing.start(), /worker \d .*cannot load routes module ".*nope\.mjs"/);

    const noRoute = make();
    noRoute.timer('name=ta;mode=2;interval=1000u').exec('timer=ta;route=NOPE');
    await assert.rejects(noRoute.start(), (err: Error) =>
      /timer "ta" worker \d/.test(err.message) && /route "NOPE" of timer "ta"/.test(err.message) && err.message.includes('process-routes.mjs'));

    process.env.RTIMER_TEST_INIT_THROWS = '1';
    const init = make();
    init.timer('name=ta;mode=2;interval=1000u').exec('timer=ta;route=FIRST');
    await assert.rejects(init.start(), /onWorkerStart .* threw: init refused/);
  });

  it('a missing route of an in-process timer fails start() with no worker forked', async () => {
    const rt = make();
    rt.timer('name=ta;mode=2;interval=10000u').exec('timer=ta;route=FIRST');
    rt.timer('name=local;interval=1').exec('timer=local;route=NOPE');
    await assert.rejects(rt.start(), /route "NOPE" of timer "local"/);
    assert.deepEqual(read().filter((e) => e.hook === 'start'), [], 'no worker ran its start hook');
  });

  it('restarts a SIGKILLed worker with its index and phase, and says so', async () => {
    const rt = make({ supervisor: { backoffMs: 20 } });
    rt.timer('name=ta;mode=2;interval=20000u').exec('timer=ta;route=FIRST');
    const events: string[] = [];
    rt.on('worker-exit', (e) => events.push(`exit ${e.worker} ${e.signal} ${e.restartInMs}`));
    rt.on('worker-restart', (e) => events.push(`restart ${e.worker}`));
    await rt.start();
    await sleep(150);
    const victim = rt.stats()[0].workers![1].pid!;
    process.kill(victim, 'SIGKILL');
    assert.ok(await waitFor(() => events.includes('restart 1'), 5000), events.join());
    await sleep(200);
    await rt.stop();
    assert.deepEqual(events, ['exit 1 SIGKILL 20', 'restart 1']);
    const [s] = rt.stats();
    assert.equal(s.workers![1].restarts, 1);
    assert.notEqual(s.workers![1].pid, victim);
    const after = read().filter((e) => e.route && e.worker === 1 && e.pid === s.workers![1].pid);
    assert.ok(after.length > 3, 'the new worker ticks');
    const before = read().find((e) => e.route && e.worker === 1 && e.pid === victim)!;
    assert.equal((BigInt(after[0].scheduled!) - BigInt(before.scheduled!)) % 20_000_000n, 0n, 'same phase');
    assert.ok(after[0].tick > before.tick);
  });

  it('marks a timer failed past the restart limit, emits an error, leaves other timers running', async () => {
    const rt = make({ supervisor: { maxRestarts: 2, backoffMs: 10 } });
    rt.timer('name=dies;mode=1;interval=10000u').exec('timer=dies;route=DIE');
    rt.timer('name=fine;mode=1;interval=10000u').exec('timer=fine;route=FIRST');
    const errors: Error[] = [];
    const exits: number[] = [];
    rt.on('error', (e) => errors.push(e));
    rt.on('worker-exit', (e) => exits.push(e.code));
    let failed = '';
    rt.on('timer-failed', (e) => { failed = e.timer; });
    await rt.start();
    assert.ok(await waitFor(() => failed !== '', 5000));
    const fineBefore = read().filter((e) => e.route).length;
    await sleep(100);
    assert.ok(read().filter((e) => e.route).length > fineBefore, 'the other timer still ticks');
    await rt.stop();
    assert.equal(failed, 'dies');
    assert.deepEqual(exits, [3, 3, 3]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /timer "dies" failed: worker 0 exited \(code 3\), 3 exits within 60000 ms \(maxRestarts 2\)/);
    const stats = rt.stats();
    assert.deepEqual(stats.map((s) => [s.name, s.failed]), [['dies', true], ['fine', false]]);
  });

  it('stop() kills a worker stuck in its route after the grace period', async () => {
    const rt = make({ supervisor: { stopGraceMs: 300 } });
    rt.timer('name=ta;mode=1;interval=10000u').exec('timer=ta;route=STUCK');
    await rt.start();
    await sleep(100);
    const t0 = Date.now();
    await rt.stop();
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 3000, `stop took ${took} ms`);
  });

  it('forwards route errors from workers as error events', async () => {
    const rt = make();
    rt.timer('name=ta;mode=1;interval=20000u').exec('timer=ta;route=THROW');
    const errors: (Error & { worker?: number; route?: string })[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    assert.ok(await waitFor(() => errors.length > 2, 3000));
    await rt.stop();
    assert.match(errors[0].message, /route "THROW" of timer "ta" failed: route failed in a worker/);
    assert.equal(errors[0].worker, 0);
    assert.ok(rt.stats()[0].errors >= 3);
  });

  it('leaves no worker alive when the parent is SIGKILLed', async () => {
    let pids: number[] = [];
    const r = await runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: ${JSON.stringify(ROUTES)} });
rt.timer('name=ta;mode=2;interval=10000u').exec('timer=ta;route=FIRST');
await rt.start();
console.log(JSON.stringify(rt.stats()[0].workers.map((w) => w.pid)));`], {
      onStdout: (out, child) => {
        if (pids.length === 0 && out.includes(']')) { pids = JSON.parse(out.trim()); child.kill('SIGKILL'); }
      },
    });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(pids.length, 2);
    assert.ok(await waitFor(() => pids.every((p) => !alive(p)), 3000), `still alive: ${pids.filter(alive)}`);
  });

  it('await stop() settles with unref()d workers', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: ${JSON.stringify(ROUTES)} });
rt.timer('name=ta;mode=1;interval=10000u').exec('timer=ta;route=FIRST');
rt.timer({ name: 'tb', interval: '1ms', mode: 'inline' }).exec('timer=tb;route=FIRST');
await rt.start();
rt.unref();
await rt.stop();
console.log('stopped');`], { timeoutMs: 10000 });
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'stopped'], r.stderr);
  });

  it('a parent that ends with unref()d workers exits and takes them along', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: ${JSON.stringify(ROUTES)} });
rt.timer('name=ta;mode=1;interval=10000u').exec('timer=ta;route=FIRST');
await rt.start();
rt.unref();
console.log(rt.stats()[0].workers[0].pid);`], { timeoutMs: 5000 });
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    const pid = Number(r.stdout.trim());
    assert.ok(await waitFor(() => !alive(pid), 3000));
  });
});
