import assert from 'node:assert/strict';
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
});
