import assert from 'node:assert/strict';
import { RTimer, RTimerConfig, RTimerConfigError, type RouteContext } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import type { TimerConfig } from '../lib/config/types.js';
import { inlineAnchors } from '../lib/schedule/phase.js';
import { sleep } from './support/native.js';

const MS = 1_000_000n;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const timers = (...specs: object[]): TimerConfig[] => {
  const c = new RTimerConfig();
  specs.forEach((s, i) => c.timer({ name: `t${i}`, mode: 'inline', ...s }));
  return c.resolve();
};

describe('phase, stagger and align of inline timers', () => {
  it('anchors every inline timer of one RTimer on one start, moved by its phase and its stagger slot', () => {
    const now = 10_000n * MS + 123n;
    const a = inlineAnchors(timers(
      { interval: '4ms' }, { interval: '4ms', phase: '1ms' }, { interval: '4ms', stagger: true },
      { interval: '4ms', stagger: true, phase: '250us' }, { interval: '10ms', stagger: true }, { interval: '4ms', stagger: true },
    ), now, () => 0n);
    assert.deepEqual(a.map((x) => x - now), [0n, 1n * MS, 0n, 4n * MS / 3n + 250_000n, 0n, 8n * MS / 3n]);
  });

  it("align: 'realtime' puts deadlines on multiples of the interval on the wall clock, then the phase", () => {
    const now = 7_000n * MS + 5n;
    const offset = 1_700_000_000_000n * MS + 2_345_678n; // wall = monotonic + offset
    const [plain, phased] = inlineAnchors(timers({ interval: '10ms', align: 'realtime' },
      { interval: '10ms', align: 'realtime', phase: '3ms' }), now, () => offset);
    assert.equal(mod(plain + offset, 10n * MS), 0n);
    assert.ok(plain <= now && now - plain < 10n * MS, 'anchored at the last aligned instant');
    assert.equal(mod(phased + offset, 10n * MS), 3n * MS);
  });

  it('runs inline timers on those deadlines (checked through ctx.scheduled modulo the interval)', async () => {
    const seen = new Map<string, bigint[]>();
    const rt = new RTimer({ routes: { R: (_m: string, ctx: RouteContext) => {
      seen.set(ctx.timer, [...(seen.get(ctx.timer) ?? []), ctx.scheduled]);
    } } });
    const I = 4n * MS;
    rt.timer({ name: 'a', mode: 'inline', interval: '4ms' }).exec('timer=a;route=R')
      .timer({ name: 'b', mode: 'inline', interval: '4ms', phase: '1ms' }).exec('timer=b;route=R')
      .timer({ name: 'c', mode: 'inline', interval: '4ms', stagger: true }).exec('timer=c;route=R')
      .timer({ name: 'd', mode: 'inline', interval: '4ms', stagger: true }).exec('timer=d;route=R')
      .timer({ name: 'w', mode: 'inline', interval: '10ms', align: 'realtime', phase: '3ms' }).exec('timer=w;route=R');
    await rt.start();
    await sleep(150);
    await rt.stop();
    const first = (t: string) => { const s = seen.get(t); assert.ok(s && s.length > 3, `${t} ran`); return s![0]; };
    assert.equal(mod(first('b') - first('a'), I), 1n * MS);
    assert.equal(mod(first('c') - first('a'), I), 0n);
    assert.equal(mod(first('d') - first('c'), I), 2n * MS);
    for (const [t, list] of seen) list.forEach((s) => assert.equal(mod(s - list[0], t === 'w' ? 10n * MS : I), 0n, t));
    // The wall clock is read again here; NTP slewing in between moves it by far less than 50 µs.
    const wall = mod(first('w') + binding.realtimeOffset(), 10n * MS);
    assert.ok(wall > 3n * MS - 50_000n && wall < 3n * MS + 50_000n, `deadline at ${wall} ns past a 10 ms wall-clock multiple`);
  });

  it('refuses phase and align where they would be ignored, and bad values, naming them', () => {
    const refuse = (spec: object, code: string, text: string) => assert.throws(() => new RTimerConfig().timer({ name: 'x', ...spec }),
      (e: unknown) => e instanceof RTimerConfigError && e.code === code && e.message.includes(text));
    refuse({ interval: 5, phase: '1ms' }, 'ERR_RTIMER_OPTION_UNSUPPORTED', '"phase"');
    refuse({ interval: 5, align: 'realtime' }, 'ERR_RTIMER_OPTION_UNSUPPORTED', '"align"');
    refuse({ interval: 5, mode: 2, phase: '1ms' }, 'ERR_RTIMER_OPTION_UNSUPPORTED', '"phase"');
    refuse({ interval: '1ms', mode: 'inline', phase: '1ms' }, 'ERR_RTIMER_OPTION_INVALID', 'phase');
    refuse({ interval: '1ms', mode: 'inline', phase: '5 parsecs' }, 'ERR_RTIMER_OPTION_INVALID', '5 parsecs');
    refuse({ interval: '1ms', mode: 'inline', phase: -1 }, 'ERR_RTIMER_OPTION_INVALID', 'phase');
    refuse({ interval: '1ms', mode: 'inline', align: 'gps' }, 'ERR_RTIMER_OPTION_INVALID', 'gps');
    const [t] = new RTimerConfig().timer({ name: 'ok', mode: 'inline', interval: '20ms', phase: 0.005, align: 'realtime' }).resolve();
    assert.deepEqual([t.phaseUs, t.align], [5000, 'realtime']);
  });
});
