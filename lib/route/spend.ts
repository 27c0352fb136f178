import { parseDurationMs } from '../config/interval.js';
import { RTimerError } from '../errors.js';

/** How long a route spends: ms as a number, or a duration string (`'5ms'`, `'250us'`, `'2s'`). */
export type SpendDuration = number | string;

/** The duration in ns; a clear error naming the value when it is not one. */
export function spendNs(d: SpendDuration): bigint {
  let ms: number;
  if (typeof d === 'number') ms = d;
  else if (typeof d === 'string') {
    try {
      ms = parseDurationMs(d);
    } catch (err) {
      throw new RTimerError('ERR_RTIMER_SPEND_INVALID', `spend(${JSON.stringify(d)}): ${(err as Error).message}`);
    }
  } else {
    throw new RTimerError('ERR_RTIMER_SPEND_INVALID', `spend() takes ms as a number or a duration string, got ${typeof d}`);
  }
  // A day at most: a longer busy-wait is a typo, and in virtual time a runaway loop.
  if (!Number.isFinite(ms) || ms < 0 || ms > 86_400_000) {
    throw new RTimerError('ERR_RTIMER_SPEND_INVALID', `spend(${typeof d === 'string' ? JSON.stringify(d) : d}): expected 0 ms to 1 day`);
  }
  return BigInt(Math.round(ms * 1e6));
}

const hrtime = process.hrtime.bigint;

/** A real run's spend: the route keeps the CPU for `d`, as real work would. */
export function busySpend(d: SpendDuration): void {
  const end = hrtime() + spendNs(d);
  while (hrtime() < end) { /* busy on purpose */ }
}
