// The call-rate shaper (call-rate-shaper.mjs) checked over an hour of virtual time, with node:test.
// Run: node --test examples/call-rate.test.mjs   (after `npm run compile`; takes about a second)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTimer } from 'node-rtimer';
import { VirtualClock } from 'node-rtimer/testing';
import { callRateShaper } from './call-rate-shaper.mjs';

const WINDOW_NS = 100_000_000n; // 100 ms

test('the shaper lets 1,000 calls a second through, 96 and 104 per 100 ms in turn, for an hour', async () => {
  const clock = new VirtualClock();
  // Calls let through per 100 ms window, by their tick's deadline (virtual time).
  const perWindow = new Map();
  const shaper = callRateShaper({ deliver: (_call, ctx) => {
    const w = Number(ctx.scheduled / WINDOW_NS);
    perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
  } });
  // Traffic, every minute: 1,600 calls a second for 40 s, then nothing for 20 s (1,067/s on average).
  const traffic = { TRAFFIC: (_m, ctx) => { if (ctx.tick % 600 < 400) shaper.enqueue(160); } };
  const rt = shaper.declare(new RTimer({ routes: { ...shaper.routes, ...traffic }, clock }));
  // The traffic runs 50 ms out of phase with the shaper, so a window's calls are queued before it.
  rt.timer({ name: 'traffic', interval: '100ms', mode: 'inline', phase: '50ms' }).exec({ timer: 'traffic', route: 'TRAFFIC' });
  await rt.start();
  await clock.tick('1h');
  await rt.stop();

  const windows = [...perWindow.entries()].sort((a, b) => a[0] - b[0]);
  assert.equal(windows.length, 36_000 - 1, 'every 100 ms window of the hour but the first (traffic starts at 150 ms)');
  // Always backlogged (what 40 s of 1,600/s bring takes more than the next 20 s): the 8 slices of a tick are all
  // even (8 × 12 calls) or all odd (8 × 13), in turn.
  for (const [w, n] of windows) assert.equal(n, w % 2 === 0 ? 104 : 96, `window ${w}`);
  for (let s = 1; s < 3600; s++) {
    let n = 0;
    for (let w = s * 10; w < s * 10 + 10; w++) n += perWindow.get(w) ?? 0;
    assert.equal(n, 1000, `second ${s}`);
  }
  assert.equal(rt.stats().reduce((n, s) => n + s.missed + s.lateness.max, 0), 0, 'no tick missed, none late');
  const delivered = windows.reduce((n, [, c]) => n + c, 0);
  assert.equal(delivered + shaper.queued, shaper.enqueued, 'every call queued was delivered once or is still queued');
});
