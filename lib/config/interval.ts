import { RTimerConfigError } from '../errors.js';

export type IntervalUnit = 's' | 'ms' | 'us';

export interface Interval {
  /** The number as written, in `unit`. */
  value: number;
  unit: IntervalUnit;
  intervalUs: number;
  /** True when the text was empty or a plain `0`: the caller applies default_interval. */
  isDefault: boolean;
}

const UNIT_US: Record<IntervalUnit, number> = { s: 1_000_000, ms: 1_000, us: 1 };
// Kamailio keeps the interval in a 32-bit unsigned int; a larger number would wrap there.
const MAX_VALUE = 0xffff_ffff;

/**
 * Parses an rtimer interval: digits, then nothing (seconds), `s`, `ms`, `u` or `us`
 * (case-insensitive). Plain `0` or nothing means "use default_interval".
 */
export function parseInterval(text: string | number, where: { file?: string; line?: number } = {}): Interval {
  const raw = typeof text === 'number' ? String(text) : text;
  const trimmed = raw.trim();
  if (trimmed === '') return { value: 0, unit: 's', intervalUs: 0, isDefault: true };
  const m = /^([0-9]+)(s|ms|us|u)?$/i.exec(trimmed);
  if (!m) {
    throw new RTimerConfigError('ERR_RTIMER_INTERVAL_INVALID',
      `invalid interval "${raw}": expected a whole number, optionally followed by s, ms, u or us`,
      { ...where, text: raw });
  }
  const value = Number(m[1]);
  const suffix = m[2]?.toLowerCase();
  const unit: IntervalUnit = suffix === undefined || suffix === 's' ? 's' : suffix === 'ms' ? 'ms' : 'us';
  if (value > MAX_VALUE) {
    throw new RTimerConfigError('ERR_RTIMER_INTERVAL_RANGE',
      `interval "${raw}" does not fit in 32 bits (at most ${MAX_VALUE})`, { ...where, text: raw });
  }
  if (value === 0) {
    if (suffix !== undefined) {
      throw new RTimerConfigError('ERR_RTIMER_INTERVAL_INVALID',
        `invalid interval "${raw}": zero with a unit is not an interval (write 0 or nothing for the default)`
          + (suffix === 'u' ? '; Kamailio would read default_interval as microseconds (120 µs for the default 120)' : ''),
        { ...where, text: raw });
    }
    return { value: 0, unit: 's', intervalUs: 0, isDefault: true };
  }
  return { value, unit, intervalUs: value * UNIT_US[unit], isDefault: false };
}

const DURATION_UNIT_US: Record<string, number> = { us: 1, u: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86_400e6 };
/** The longest duration: an interval's own maximum (2^32-1 s, some 136 years); past it a number is a typo. */
export const MAX_DURATION_MS = MAX_VALUE * 1000;

/**
 * Duration for CLI flags and options: `100us`, `250ms`, `5s`, `2m`, `1h`, `1d` (a decimal number allowed),
 * or a number of seconds. Ours, not Kamailio's interval grammar, so it has h and d. At most
 * {@link MAX_DURATION_MS}: a longer one would lose its digits in a double (99999999999999999999s).
 */
export function parseDurationMs(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|us|u|s|m|h|d)?\s*$/i.exec(text);
  if (!m) throw new RTimerConfigError('ERR_RTIMER_DURATION_INVALID', `invalid duration "${text}"`, { text });
  const ms = Number(m[1]) * DURATION_UNIT_US[(m[2] ?? 's').toLowerCase()] / 1000;
  if (!(ms <= MAX_DURATION_MS)) {
    throw new RTimerConfigError('ERR_RTIMER_DURATION_RANGE',
      `duration "${text.trim()}" is too long (at most ${MAX_VALUE}s)`, { text });
  }
  return ms;
}
