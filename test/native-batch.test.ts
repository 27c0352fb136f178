import assert from 'node:assert/strict';
import { binding, type NativeTimer } from '../lib/native/binding.js';
import { sleep } from './support/native.js';

describe('native delivery in batches', () => {
  it('hands 500 timers due in one wake-up to JS in one call, every counter exact', async () => {
    const n = 500;
    const calls = new Array<number>(n).fill(0);
    const timers: NativeTimer[] = [];
    for (let i = 0; i < n; i++) {
      timers.push(new binding.NativeTimer({ name: `b${i}`, intervalNs: 5e6 }, () => { calls[i]++; return false; }));
    }
    const anchor = binding.now();
    for (const t of timers) t.start(anchor);
    await sleep(300);
    const before = timers[0].stats().batches;
    await Promise.all(timers.map((t) => t.stop()));
    const stats = timers.map((t) => t.stats());
    let executions = 0;
    stats.forEach((s, i) => {
      assert.equal(s.executions + s.missed, s.ticks, `timer ${i}`);
      assert.equal(s.executions, calls[i], `timer ${i}: one dispatch per execution`);
      executions += s.executions;
    });
    assert.ok(executions > 5 * n, `executions ${executions}`);
    // One shared thread, one delivery: every timer reports the same count of batches.
    assert.ok(stats.every((s) => s.batches === stats[0].batches));
    assert.ok(stats[0].batches >= before && before > 0);
    assert.ok(stats[0].batches * 20 < executions, `${stats[0].batches} batches for ${executions} executions`);
  });

  it('delivers a catch-up tick queued during its own batch, and stop() settles after it drained', async () => {
    // Without a defer function the engine hands an owed tick over at once, from inside the batch.
    let calls = 0;
    let block = true;
    const t = new binding.NativeTimer({ name: 'cu', intervalNs: 1e6, policy: 'burst', maxBurst: 3 }, () => {
      calls++;
      if (block) { block = false; const end = Date.now() + 10; while (Date.now() < end) { /* late */ } }
      return false;
    });
    t.start();
    await sleep(100);
    await t.stop();
    const s = t.stats();
    assert.equal(s.executions, calls);
    assert.equal(s.executions + s.missed, s.ticks);
  });

  it('a route that stops timers due later in the same batch: none of their routes runs after, counters exact', async () => {
    const n = 50;
    const calls = new Array<number>(n).fill(0);
    let stoppedAt = -1;
    const late: number[] = [];
    const timers: NativeTimer[] = [];
    const stops: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      timers.push(new binding.NativeTimer({ name: `s${i}`, intervalNs: 10e6 }, () => {
        calls[i]++;
        if (stoppedAt >= 0 && i > 0) late.push(i);
        if (i === 0 && calls[0] === 2) {
          stoppedAt = calls.reduce((a, b) => a + b, 0);
          for (let j = 1; j < n; j++) stops.push(timers[j].stop());
        }
        return false;
      }));
    }
    const anchor = binding.now();
    for (const t of timers) t.start(anchor);
    while (stoppedAt < 0) await sleep(10);
    await Promise.all(stops);
    await timers[0].stop();
    assert.deepEqual(late, [], 'no route of a stopped timer ran');
    for (let i = 0; i < n; i++) {
      const s = timers[i].stats();
      assert.equal(s.executions, calls[i], `timer ${i}`);
      assert.equal(s.executions + s.missed, s.ticks, `timer ${i}`);
    }
  });
});
