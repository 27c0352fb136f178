import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Histogram, bucketOf, bucketRange, BUCKETS } from '../lib/stats/histogram.js';

describe('Histogram', () => {
  it('maps every value into a bucket that contains it, within 1/32 of its size', () => {
    for (const v of [0, 1, 31, 32, 33, 63, 64, 1000, 1023, 1024, 123456, 2 ** 40 + 12345, 2 ** 48 - 1]) {
      const i = bucketOf(v);
      assert.ok(i >= 0 && i < BUCKETS, `bucket ${i} of ${v}`);
      const [lo, hi] = bucketRange(i);
      assert.ok(lo <= v && v <= hi, `${v} in [${lo}, ${hi}]`);
      assert.ok(hi - lo <= Math.max(0, v / 32), `bucket of ${v} is ${hi - lo} wide`);
    }
  });

  it('gives percentiles, mean and stddev of what it recorded', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1000; v++) h.record(v * 1000);
    assert.equal(h.count, 1000);
    assert.equal(h.min, 1000);
    assert.equal(h.max, 1_000_000);
    assert.equal(h.mean, 500_500);
    assert.ok(Math.abs(h.stddev - 288_675) < 10, String(h.stddev));
    for (const p of [50, 90, 99]) {
      const want = p * 10_000;
      assert.ok(Math.abs(h.percentile(p) - want) <= want / 32, `p${p}=${h.percentile(p)}`);
    }
    assert.equal(h.percentile(100), 1_000_000);
    assert.throws(() => h.percentile(0), RangeError);
    assert.deepEqual([...h.percentiles.keys()], [50, 75, 90, 99, 99.9, 100]);
  });

  it('counts negatives as zero and values past its range as exceeds', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(2 ** 60);
    assert.deepEqual([h.count, h.min, h.exceeds], [1, 0, 1]);
  });

  it('adds another histogram', () => {
    const a = new Histogram();
    const b = new Histogram();
    [10, 20].forEach((v) => a.record(v));
    [30, 40].forEach((v) => b.record(v));
    a.add(b);
    assert.deepEqual([a.count, a.min, a.max, a.mean], [4, 10, 40, 25]);
    assert.ok(Math.abs(a.stddev - Math.sqrt(125)) < 1e-9);
  });

  it('is empty and harmless before any value', () => {
    const h = new Histogram();
    assert.deepEqual(h.toJSON(), { count: 0, min: 0, max: 0, mean: 0, stddev: 0, exceeds: 0, p50: 0, p90: 0, p99: 0, p999: 0 });
  });

  it('gives each percentile within 1/64 of the exact nearest-rank value', () => {
    let seed = 42;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const values = Array.from({ length: 20_000 }, () => Math.round(Math.exp(random() * 25))); // 1 ns .. ~72 ms
    const h = new Histogram();
    values.forEach((v) => h.record(v));
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1];
      assert.ok(Math.abs(h.percentile(p) - exact) <= exact / 64, `p${p}: ${h.percentile(p)} vs ${exact}`);
    }
  });

  it('prints as a one-line summary in µs with console.log, and as a summary in ns with JSON.stringify', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1000; v++) h.record(v * 1000);
    const text = inspect({ lateness: h });
    assert.doesNotMatch(text, /Float64Array|counts/);
    assert.match(text, /lateness: Histogram\(µs\) \{ count: 1000, min: 1, p50: [\d.]+, p90: [\d.]+, p99: [\d.]+, 'p99\.9': [\d.]+, max: 1000 \}/);
    const p50 = Number(/p50: ([\d.]+)/.exec(text)![1]);
    assert.equal(p50, h.percentile(50) / 1000);
    assert.match(inspect(new Histogram()), /count: 0, min: 0, .*max: 0 \}$/);
    assert.equal(inspect({ a: { b: h } }, { depth: 1 }), '{ a: { b: [Histogram] } }');
    const json = JSON.parse(JSON.stringify({ h }));
    assert.deepEqual(Object.keys(json.h), ['count', 'min', 'max', 'mean', 'stddev', 'exceeds', 'p50', 'p90', 'p99', 'p999']);
    assert.deepEqual([json.h.count, json.h.min, json.h.max, json.h.p999], [1000, 1000, 1_000_000, h.percentile(99.9)]);
  });
});
