import assert from 'node:assert/strict';
import { parseInterval, parseDurationMs } from '../lib/config/interval.js';
import { RTimerConfigError } from '../lib/errors.js';

describe('parseInterval', () => {
  const cases: [string | number, number, string, number][] = [
    ['10', 10, 's', 10_000_000],
    [10, 10, 's', 10_000_000],
    ['10s', 10, 's', 10_000_000],
    ['10S', 10, 's', 10_000_000],
    ['250ms', 250, 'ms', 250_000],
    ['250MS', 250, 'ms', 250_000],
    ['100000u', 100000, 'us', 100_000],
    ['100000U', 100000, 'us', 100_000],
    ['100us', 100, 'us', 100],
    [' 7 ', 7, 's', 7_000_000],
    ['4294967295u', 4294967295, 'us', 4294967295],
  ];
  for (const [text, value, unit, us] of cases) {
    it(`reads ${JSON.stringify(text)} as ${value} ${unit}`, () => {
      assert.deepEqual(parseInterval(text), { value, unit, intervalUs: us, isDefault: false });
    });
  }

  it('treats nothing and plain 0 as "use the default"', () => {
    assert.equal(parseInterval('').isDefault, true);
    assert.equal(parseInterval('0').isDefault, true);
    assert.equal(parseInterval(0).isDefault, true);
  });

  for (const bad of ['abc', '10x', '1.5', '-1', '10 s', 'u', '0x10', '1e3', '10sec']) {
    it(`refuses ${JSON.stringify(bad)}, naming it`, () => {
      assert.throws(() => parseInterval(bad), (err: unknown) =>
        err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_INTERVAL_INVALID' && err.message.includes(`"${bad}"`));
    });
  }

  for (const bad of ['0u', '0s', '0ms', '0us']) {
    it(`refuses ${bad}: zero with a unit`, () => {
      assert.throws(() => parseInterval(bad), (err: Error & { code?: string }) => err.code === 'ERR_RTIMER_INTERVAL_INVALID'
        && /Kamailio would read default_interval as microseconds/.test(err.message) === (bad === '0u'));
    });
  }

  it('refuses a value that does not fit in 32 bits', () => {
    assert.throws(() => parseInterval('4294967296'), { code: 'ERR_RTIMER_INTERVAL_RANGE' });
    assert.throws(() => parseInterval('99999999999999999999u'), { code: 'ERR_RTIMER_INTERVAL_RANGE' });
  });
});

describe('parseDurationMs', () => {
  it('reads CLI durations', () => {
    assert.equal(parseDurationMs('5s'), 5000);
    assert.equal(parseDurationMs('5'), 5000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('2m'), 120000);
    assert.throws(() => parseDurationMs('soon'), /invalid duration "soon"/);
  });

  it('has h and d (durations are ours, not Kamailio intervals) and refuses one past 2^32-1 s', () => {
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('1D'), 86_400_000);
    assert.equal(parseDurationMs('100us'), 0.1);
    assert.equal(parseDurationMs('4294967295s'), 4_294_967_295_000);
    assert.throws(() => parseDurationMs('99999999999999999999s'),
      (e: RTimerConfigError) => e.code === 'ERR_RTIMER_DURATION_RANGE' && /"99999999999999999999s" is too long/.test(e.message));
    assert.throws(() => parseDurationMs('49711d'), /too long/);
  });
});
