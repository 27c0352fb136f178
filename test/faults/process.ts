// Fault-matrix cases for dedicated timer processes (mode=N): workers killed, parents killed,
// routes modules that break on import, workers that run out of memory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { binding } from '../../lib/native/binding.js';
import { RTimer } from '../../lib/index.js';
import { ProcessTimer, validateSupervisorOptions } from '../../lib/process/supervisor.js';
import { alive, waitFor, workersOf } from '../support/procs.js';
import { runNode } from '../support/run.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const ROUTES = fixture('process-routes.mjs');

describe('faults: dedicated timer processes', function () {
  let dir = '';
  let logFile = '';
  const read = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtimer-faults-'));
    logFile = join(dir, 'log.jsonl');
    writeFileSync(logFile, '');
    process.env.RTIMER_TEST_LOG = logFile;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(workersOf(process.pid), [], 'no worker process left behind');
  });

  it('a worker SIGKILLed again and again: restarts with doubling backoff, then timer-failed', async () => {
    const rt = new RTimer({ routes: ROUTES, supervisor: { maxRestarts: 3, backoffMs: 20 } });
    rt.timer('name=ta;mode=1;interval=20000u').exec('timer=ta;route=FIRST');
    const delays: (number | null)[] = [];
    const errors: Error[] = [];
    let failed = false;
    rt.on('worker-exit', (e) => delays.push(e.restartInMs));
    rt.on('worker-restart', (e) => process.kill(e.pid, 'SIGKILL'));
    rt.on('timer-failed', () => { failed = true; });
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    process.kill(rt.stats()[0].workers![0].pid!, 'SIGKILL');
    assert.ok(await waitFor(() => failed, 8000), `exits: ${delays}`);
    await rt.stop();
    assert.deepEqual(delays, [20, 40, 80, null]);
    assert.match(errors.at(-1)!.message, /worker 0 exited \(SIGKILL\), 4 exits within 60000 ms \(maxRestarts 3\)/);
    const [s] = rt.stats();
    assert.equal(s.failed, true);
    assert.equal(s.executions + s.missed, s.ticks);
  });

  it('the parent SIGKILLed while its workers start: no process is left', async () => {
    const held: { parent?: { kill(sig: NodeJS.Signals): boolean } } = {};
    const ran = runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: ${JSON.stringify(ROUTES)} });
rt.timer('name=ta;mode=2;interval=10000u').exec('timer=ta;route=FIRST');
rt.start();
console.log('forked');`], { env: { RTIMER_TEST_START: 'hang' }, onStdout: (_out, child) => { held.parent = child; } });
    const starting = () => read().filter((e) => e.hook === 'start').map((h) => h.pid as number);
    const both = await waitFor(() => held.parent !== undefined && starting().length === 2, 8000);
    held.parent?.kill('SIGKILL');
    const r = await ran;
    assert.ok(both, JSON.stringify(read()));
    assert.equal(r.signal, 'SIGKILL');
    const pids = starting();
    assert.ok(await waitFor(() => pids.every((p) => !alive(p)), 3000), `still alive: ${pids.filter(alive)}`);
  });

  for (const [how, file, expected] of [
    ['throws', 'routes-throw-on-import.mjs', /cannot load routes module .*routes-throw-on-import\.mjs.*broken at import/s],
    ['calls process.exit', 'routes-exit-on-import.mjs', /worker 0 \(pid \d+\) exited \(code 9\) before its timer was armed/],
    ['hangs', 'routes-hang-on-import.mjs', /worker 0 \(pid \d+\) did not load its routes within 500 ms/],
  ] as const) {
    it(`a routes module that ${how} on import: start() rejects plainly, nothing is left running`, async () => {
      const rt = new RTimer({ routes: fixture(file), supervisor: { startTimeoutMs: 500 } });
      rt.timer('name=ta;mode=1;interval=10000u').exec('timer=ta;route=FIRST');
      const t0 = Date.now();
      await assert.rejects(rt.start(), (e: Error & { code?: string }) => expected.test(e.message) && typeof e.code === 'string');
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(rt.state, 'idle');
      await rt.stop();
    });
  }

  it('a worker that leaks until it runs out of memory is a crash like any other', async function () {
    // A small heap makes the leak quick; the worker inherits the environment.
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${before ?? ''} --max-old-space-size=24`.trim();
    try {
      const rt = new RTimer({ routes: ROUTES, supervisor: { maxRestarts: 0 } });
      rt.timer('name=ta;mode=1;interval=5000u').exec('timer=ta;route=LEAK');
      const exits: { code: number | null; signal: string | null }[] = [];
      let failed = false;
      rt.on('worker-exit', (e) => exits.push(e));
      rt.on('timer-failed', () => { failed = true; });
      rt.on('error', () => undefined);
      await rt.start();
      assert.ok(await waitFor(() => failed, 15000), JSON.stringify(exits));
      await rt.stop();
      assert.equal(exits.length, 1);
      for (const e of exits) assert.ok(e.signal !== null || e.code !== 0, JSON.stringify(e));
      const [s] = rt.stats();
      assert.equal(s.executions + s.missed, s.ticks);
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = before;
    }
  });
});

describe('faults: dedicated processes, supervision gaps (review of issue 9)', function () {
  this.timeout(30000);
  let dir = '';
  /** Writes a routes module into the test's directory; returns its path. */
  const routes = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
  const took = async (p: Promise<unknown>) => { const t0 = Date.now(); const r = await p.then(() => null, (e: Error & { code?: string }) => e); return { err: r, ms: Date.now() - t0 }; };

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-supervise-')); });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    const left = workersOf(process.pid);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'no worker process left behind');
  });

  it('a worker that exits between loading and arming fails start() at once, naming its exit', async () => {
    // Worker 0 loads, then exits while worker 1 still loads: no step is waiting on it when it dies.
    const file = routes('die.mjs', `
export async function onWorkerStart({ worker }) {
  if (worker === 0) setTimeout(() => process.exit(5), 20);
  else await new Promise((r) => setTimeout(r, 400));
}
export function R() {}
`);
    const rt = new RTimer({ routes: file, supervisor: { startTimeoutMs: 15000 } });
    rt.timer('name=t;mode=2;interval=10000u').exec('timer=t;route=R');
    const { err, ms } = await took(rt.start());
    await rt.stop();
    assert.equal(err?.code, 'ERR_RTIMER_WORKER_START');
    assert.match(err!.message, /worker 0 \(pid \d+\) exited \(code 5\) before its timer was armed/);
    assert.ok(ms < 7500, `start() took ${ms} ms (startTimeoutMs 15000)`);
  });

  it('the first worker to fail fails start() at once: the others, hanging in onWorkerStart, are killed and gone', async () => {
    const file = routes('one-fails.mjs', `
export async function onWorkerStart({ worker }) {
  if (worker === 0) { await new Promise((r) => setTimeout(r, 100)); throw new Error('worker 0 cannot init'); }
  await new Promise(() => {});
}
export function R() {}
`);
    const rt = new RTimer({ routes: file, supervisor: { startTimeoutMs: 15000 } });
    rt.timer('name=t;mode=3;interval=10000u').exec('timer=t;route=R');
    const { err, ms } = await took(rt.start());
    // No stop(): start()'s rejection alone leaves nothing running.
    assert.deepEqual(workersOf(process.pid), [], 'the hanging workers are gone when start() rejects');
    await rt.stop();
    assert.equal(err?.code, 'ERR_RTIMER_WORKER_INIT');
    assert.match(err!.message, /worker 0 .*cannot init/);
    assert.ok(ms < 7500, `start() took ${ms} ms (startTimeoutMs 15000)`);
  });

  it('one timer whose worker fails fails start() at once while another timer\'s worker hangs', async () => {
    const file = routes('timers.mjs', `
export async function onWorkerStart({ timer }) {
  if (timer === 'bad') { await new Promise((r) => setTimeout(r, 100)); throw new Error('bad cannot init'); }
  await new Promise(() => {});
}
export function R() {}
`);
    const rt = new RTimer({ routes: file, supervisor: { startTimeoutMs: 15000 } });
    rt.timer('name=hangs;mode=1;interval=10000u').exec('timer=hangs;route=R');
    rt.timer('name=bad;mode=1;interval=10000u').exec('timer=bad;route=R');
    const { err, ms } = await took(rt.start());
    assert.deepEqual(workersOf(process.pid), [], 'no worker left when start() rejects');
    await rt.stop();
    assert.equal(err?.code, 'ERR_RTIMER_WORKER_INIT');
    assert.ok(ms < 7500, `start() took ${ms} ms (startTimeoutMs 15000)`);
  });

  it('the default watchdog outlasts a route as long as two intervals: it scales with the timer\'s interval', () => {
    const rt = new RTimer({ routes: ROUTES });
    rt.timer('name=slow;mode=1;interval=10').exec('timer=slow;route=FIRST');
    rt.timer('name=fast;mode=1;interval=10000u').exec('timer=fast;route=FIRST');
    const [slow, fast] = rt.timers();
    const url = pathToFileURL(ROUTES).href;
    const noop = () => undefined;
    // interval=10 (s): a 6 s synchronous route used to outlast the 5 s default and be killed as wedged.
    assert.equal(new ProcessTimer(slow, url, {}, noop).watchdogMs, 20_000);
    assert.equal(new ProcessTimer(fast, url, {}, noop).watchdogMs, 5_000);
    assert.equal(new ProcessTimer(slow, url, { statsIntervalMs: 5000 }, noop).watchdogMs, 25_000);
    // Chosen by the user: kept as given.
    assert.equal(new ProcessTimer(slow, url, { watchdogMs: 3000 }, noop).watchdogMs, 3000);
    assert.equal(new ProcessTimer(slow, url, { watchdogMs: false }, noop).watchdogMs, 0);
    assert.equal(validateSupervisorOptions({}, 2 ** 40).watchdogMs, 2 ** 31 - 1, 'never beyond what a Node timer holds');
  });

  it('a route that sends a message shaped like a worker\'s stats report is a worker-message: counters are not touched', async () => {
    const file = routes('forge.mjs', `
const counters = { ticks: 1e6, executions: 1e6, missed: 0, paused: 0, errors: 0, routeCalls: 1e6, triggered: 0 };
const native = { ticks: 1e6, executions: 1e6, missed: 0, dispatchErrors: 0, leadNs: 0, spinNs: 0, elapsedNs: 1,
  applied: [], refused: [], thread: 'own' };
export function FORGE(_m, ctx) {
  if (ctx.tick === 1) process.send({ rtimer: 1, type: 'stats', report: { pid: process.pid, counters, native, hist: {} } });
}
`);
    const rt = new RTimer({ routes: file, supervisor: { statsIntervalMs: 50 } });
    rt.timer('name=t;mode=1;interval=20000u').exec('timer=t;route=FORGE');
    const seen: unknown[] = [];
    rt.on('worker-message', (e) => seen.push(e.message));
    await rt.start();
    const got = await waitFor(() => seen.length > 0 && rt.stats()[0].ticks > 2, 5000);
    const [s] = rt.stats();
    await rt.stop();
    assert.ok(got, `worker-message seen: ${seen.length}, ticks ${s.ticks}`);
    assert.equal((seen[0] as { type?: string }).type, 'stats');
    assert.ok(s.ticks < 1e5 && s.executions < 1e5, `counters from the forged report: ${s.ticks} ticks`);
  });

  it('restarts run the timer it was given, whatever is done later to that config object', async () => {
    const file = routes('plain.mjs', 'export function R() {}\n');
    const rt = new RTimer({ routes: file });
    rt.timer('name=t;mode=1;interval=100000u').exec('timer=t;route=R');
    const [cfg] = rt.timers();
    const events: { event: string; payload: unknown }[] = [];
    const p = new ProcessTimer(cfg, pathToFileURL(file).href, { backoffMs: 10 }, (event, payload) => events.push({ event, payload }));
    try {
      await p.load();
      await p.arm(binding.now());
      (cfg.routes as string[]).push('NOPE');
      (cfg as { intervalUs: number }).intervalUs = 1000;
      process.kill(p.workers()[0].pid!, 'SIGKILL');
      const back = await waitFor(() => events.some((e) => e.event === 'worker-restart' || e.event === 'error'), 5000);
      assert.ok(back, JSON.stringify(events.map((e) => e.event)));
      assert.deepEqual(events.filter((e) => e.event === 'error').map((e) => (e.payload as Error).message), []);
      assert.equal(p.config.intervalUs, 100000);
      assert.deepEqual(p.config.routes, ['R']);
      assert.throws(() => { (p.config.routes as string[]).push('X'); }, TypeError, 'its view of the config is read-only');
    } finally {
      await p.stop();
    }
  });
});
