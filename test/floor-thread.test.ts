import assert from 'node:assert/strict';
import { binding } from '../lib/native/binding.js';
import { sleep, threadCount } from './support/native.js';
import { runNode } from './support/run.js';

// The native floor thread of `rtimer latency` (native/floor_thread.cc).
describe('FloorThread (rtimer latency\'s floor)', function () {
  this.timeout(90_000); // child processes: slow under load and under ASan
  it('records [cycle, lateness] pairs with rising cycles, 1 ns slack applied, drain() takes them once', async () => {
    const f = new binding.FloorThread(1_000_000);
    const threads = threadCount();
    f.start();
    assert.equal(threadCount(), threads + 1);
    await sleep(150);
    const d = f.drain();
    assert.ok(d.length >= 2 && d.length % 2 === 0, `${d.length / 2} samples in 150 ms at 1 ms`);
    for (let i = 2; i < d.length; i += 2) assert.ok(d[i] > d[i - 2], 'cycles rise');
    for (let i = 1; i < d.length; i += 2) assert.ok(d[i] >= 0, 'never early: an absolute sleep wakes at or after its deadline');
    const again = f.drain();
    if (again.length) assert.ok(again[0] > d[d.length - 2], 'a second drain holds only newer samples');
    const s = f.stats();
    assert.equal(s.running, true);
    assert.ok(s.cycles >= d.length / 2);
    assert.deepEqual(s.applied, ['timerslack=1ns']);
    f.stop();
    f.stop();
    assert.equal(f.stats().running, false, 'stop() joins the thread; twice is fine');
    assert.equal(threadCount(), threads);
  });

  it('bounds: interval 10 µs..1 s, start() once, stop() before start()', () => {
    for (const bad of [0, 9_999, 1_000_000_001, NaN, '1ms', undefined]) {
      assert.throws(() => new binding.FloorThread(bad as number), RangeError, String(bad));
    }
    const f = new binding.FloorThread(1_000_000_000);
    f.stop();
    const g = new binding.FloorThread(10_000_000);
    g.start();
    assert.throws(() => g.start(), /start\(\) after start\(\)/);
    g.stop();
  });

  it('a process that exits with the thread running ends cleanly (the environment\'s teardown joins it)', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { binding } from './dist/native/binding.js';
const f = new binding.FloorThread(1_000_000); f.start();
setTimeout(() => console.log('done', f.stats().cycles > 0), 100);`], { timeoutMs: 60_000 });
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'done true'], r.stderr);
  });

  it('worker threads: terminated with their threads running, the parent runs on', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { Worker } from 'node:worker_threads';
const body = "import { binding } from '" + new URL('./dist/native/binding.js', 'file://' + process.cwd() + '/').href + "';" +
  "import { parentPort } from 'node:worker_threads';" +
  "const f = new binding.FloorThread(1000000); f.start(); setTimeout(() => parentPort.postMessage(f.stats().cycles), 50); setInterval(() => {}, 1000);";
for (let round = 0; round < 3; round++) {
  const ws = [0, 1].map(() => new Worker(body, { eval: true }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  await Promise.all(ws.map((w) => w.terminate()));
}
console.log('parent alive');`], { timeoutMs: 60_000 });
    assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, 'parent alive'], r.stderr);
  });
});
