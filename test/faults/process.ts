// Fault-matrix cases for dedicated timer processes (mode=N): workers killed, parents killed,
// routes modules that break on import, workers that run out of memory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RTimer } from '../../lib/index.js';
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
