import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { runNode } from './support/run.js';

// Each scenario runs in a child process that must end by itself with code 0 and no signal.
const child = (body: string) => ['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let ran = 0;
${body}
`];
const inline = (opts = '') => `const rt = new RTimer({ routes: { R() { ran++; } } });
rt.timer({ name: 't', interval: '1ms', mode: 'inline'${opts} }).exec('timer=t;route=R');`;

async function exitsCleanly(body: string, timeoutMs = 10_000) {
  const r = await runNode(child(body), { timeoutMs });
  assert.deepEqual([r.code, r.signal], [0, null], `stderr: ${r.stderr}`);
  return r;
}

describe('native lifecycle: every way out of a process is clean', () => {
  it('created and never started', () => exitsCleanly(inline()));

  it('started, then stopped: the process exits by itself', async () => {
    const r = await exitsCleanly(`${inline()} await rt.start(); await sleep(200); await rt.stop(); console.log(ran > 50);`);
    assert.equal(r.stdout.trim(), 'true');
  });

  it('a running timer keeps the process alive; unref() lets it exit while ticking', async () => {
    const r = await exitsCleanly(`${inline()} await rt.start(); rt.unref(); setTimeout(() => console.log('alive', ran > 50), 300);`);
    assert.equal(r.stdout.trim(), 'alive true');
    const held = await runNode(child(`${inline()} await rt.start();`), { timeoutMs: 1500 });
    assert.equal(held.signal, 'SIGKILL', 'a ref()d running timer must hold the process');
  });

  it('process.exit() inside a route', () => exitsCleanly(`const rt = new RTimer({ routes: { R() { process.exit(0); } } });
rt.timer({ name: 't', interval: '1ms', mode: 'inline' }).exec('timer=t;route=R'); await rt.start();`));

  it('process.exit() with a delivery pending and a route in flight', () => exitsCleanly(`
const rt = new RTimer({ routes: { R() { ran++; }, SLOW: async () => { await sleep(50); }, BLOCK() { const e = Date.now() + 5; while (Date.now() < e); } } });
rt.timer({ name: 'a', interval: '100us', mode: 'inline' }).exec('timer=a;route=R');
rt.timer({ name: 'b', interval: '1ms', mode: 'inline', thread: 'own' }).exec('timer=b;route=SLOW');
rt.timer({ name: 'c', interval: '1ms', mode: 'inline' }).exec('timer=c;route=BLOCK');
await rt.start(); await sleep(100); process.exit(0);`));

  it('the event loop ends with timers unref()d and never stopped (environment teardown joins the threads)', () => exitsCleanly(`
const rt = new RTimer({ routes: { R() { ran++; } } });
rt.timer({ name: 'a', interval: '100us', mode: 'inline' }).exec('timer=a;route=R');
rt.timer({ name: 'b', interval: '1ms', mode: 'inline', thread: 'own', precision: true }).exec('timer=b;route=R');
await rt.start(); rt.unref(); await sleep(100);`));

  it('with memory locked (mlockall), on stop and on teardown', () => exitsCleanly(`
${inline(", lockMemory: true")} await rt.start(); await sleep(100); console.log(rt.stats()[0].native.applied.concat(rt.stats()[0].native.refused).join());
await rt.stop();
const rt2 = new RTimer({ routes: { R() {} } });
rt2.timer({ name: 'u', interval: '1ms', mode: 'inline', lockMemory: true }).exec('timer=u;route=R');
await rt2.start(); rt2.unref(); await sleep(50);`));

  it('timers dropped without stop() are collected by the GC, running or not, without a crash', async () => {
    const r = await runNode(['--expose-gc', '--input-type=module', '-e', `
import { binding } from './dist/native/binding.js';
for (let round = 0; round < 20; round++) {
  for (let i = 0; i < 50; i++) {
    const t = new binding.NativeTimer({ name: 'g' + i, intervalNs: 1e5, thread: i % 10 === 0 ? 'own' : 'shared' }, () => false);
    if (i % 2) { t.start(); t.unref(); }
    if (i % 4 === 1) await t.stop();
  }
  await new Promise((r) => setTimeout(r, 5));
  globalThis.gc();
}
console.log('collected');`]);
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'collected'], r.stderr);
  });

  it('stopped RTimers are collected: 2,000 inline ones started and stopped leave no heap growth and no live native timer (issue 17)', async function () {
    this.timeout(120_000);
    // Counts live native timers (a FinalizationRegistry on each) and live RTimers; every 10th timer
    // has its own thread, every 10th a precision spin, every 5th RTimer also a mode 0 timer.
    const r = await runNode(['--expose-gc', '--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
import { binding } from './dist/native/binding.js';
const Native = binding.NativeTimer;
let native = 0, timers = 0;
const goneNative = new FinalizationRegistry(() => { native--; });
const goneTimer = new FinalizationRegistry(() => { timers--; });
binding.NativeTimer = function NativeTimer(...args) { const t = new Native(...args); native++; goneNative.register(t, 0); return t; };
const cycle = async (i) => {
  const rt = new RTimer({ routes: { R() {} } });
  timers++; goneTimer.register(rt, 0);
  rt.timer({ name: 't', interval: '1ms', mode: 'inline', ...(i % 10 === 3 ? { thread: 'own' } : {}), ...(i % 10 === 7 ? { precision: true } : {}) })
    .exec('timer=t;route=R');
  if (i % 5 === 0) rt.timer({ name: 'z', interval: 1, mode: 0 }).exec('timer=z;route=R');
  await rt.start();
  if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5)); // a few that ticked
  await rt.stop();
};
const settle = async () => {
  for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
  return process.memoryUsage();
};
for (let i = 0; i < 200; i++) await cycle(i);
const before = await settle();
for (let i = 0; i < 2000; i++) await cycle(i);
const after = await settle();
console.log(JSON.stringify({ heapMB: (after.heapUsed - before.heapUsed) / 2 ** 20, arrayBuffersMB: (after.arrayBuffers - before.arrayBuffers) / 2 ** 20, native, timers }));`],
    { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { heapMB: number; arrayBuffersMB: number; native: number; timers: number };
    assert.deepEqual({ native: m.native, timers: m.timers }, { native: 0, timers: 0 }, r.stdout);
    assert.ok(m.heapMB < 2, `heap grew ${m.heapMB.toFixed(1)} MB`);
    assert.ok(m.arrayBuffersMB < 2, `array buffers grew ${m.arrayBuffersMB.toFixed(1)} MB`);
  });

  it('stop() twice, concurrently and after, resolves', () => exitsCleanly(`${inline()} await rt.start(); await Promise.all([rt.stop(), rt.stop()]); await rt.stop();`));
});

describe('native timers in worker_threads', () => {
  it('run in several workers at once; terminating them mid-tick leaves the parent running', async () => {
    const url = new URL('./fixtures/timer-worker.mjs', import.meta.url);
    const workers = [0, 1, 2].map(() => new Worker(url, { workerData: { timers: 3 } }));
    const firstTicks = workers.map((w) => new Promise<void>((resolve, reject) => {
      w.on('error', reject);
      w.on('message', (m) => { if (m.ticks) resolve(); });
    }));
    await Promise.all(firstTicks);
    // One stops cleanly; two are terminated while their timers tick.
    const stopped = new Promise<{ stats: number[][] }>((resolve) => workers[0].on('message', (m) => { if (m.stopped) resolve(m); }));
    workers[0].postMessage('stop');
    const { stats } = await stopped;
    for (const [ticks, executions, missed] of stats) assert.equal(executions + missed, ticks);
    const codes = await Promise.all([workers[1].terminate(), workers[2].terminate()]);
    assert.deepEqual(codes, [1, 1]);
    await workers[0].terminate();
    // The parent is unharmed and can still run timers of its own.
    const r = await runNode(['--input-type=module', '-e', `
import { Worker } from 'node:worker_threads';
const url = new URL('./test/fixtures/timer-worker.mjs', 'file://' + process.cwd() + '/');
for (let round = 0; round < 5; round++) {
  const ws = [0, 1].map(() => new Worker(url, { workerData: { timers: 2 }, execArgv: [] }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  await Promise.all(ws.map((w) => w.terminate()));
}
console.log('parent alive');`]);
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'parent alive'], r.stderr);
  });
});
