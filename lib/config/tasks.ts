import { RTimerConfigError } from '../errors.js';
import { describeValue } from './describe.js';
import type { Where } from './param.js';
import type { TimerConfig } from './types.js';

/** ptimer keeps ntasks, nslices and slice in 32-bit unsigned ints. */
export const MAX_TASKS = 0xffff_ffff;

/**
 * `ntasks` (0..2^32-1) or `nslices` (1..2^32-1) of timer `name`, from a typed value or the digits of a
 * parameter string; `undefined` gives the default (0 tasks, 1 slice). Anything else names the field.
 */
export function taskCount(field: 'ntasks' | 'nslices', value: unknown, name: string, where: Where): number {
  const min = field === 'nslices' ? 1 : 0;
  if (value === undefined) return min;
  const n = typeof value === 'number' ? value
    : typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > MAX_TASKS) {
    throw new RTimerConfigError(field === 'nslices' ? 'ERR_RTIMER_NSLICES_INVALID' : 'ERR_RTIMER_NTASKS_INVALID',
      `timer "${name}": invalid ${field} ${typeof value === 'string' ? `"${value}"` : describeValue(value)}: expected an integer ${min}..${MAX_TASKS}`,
      { ...where, text: typeof value === 'string' ? value : describeValue(value) });
  }
  return n;
}

/**
 * Whether the timer's ticks walk through its slices. ptimer's types 0 (basic) and 1 (sync) never
 * touch the slice: every tick has slice 0 and all `ntasks`, whatever `nslices` says. Types 2 and 3,
 * and every rtimer timer, take the next slice each tick (with one slice, always slice 0 and all tasks).
 */
export function slicesTasks(timer: Pick<TimerConfig, 'type'>): boolean {
  return timer.type === undefined || timer.type >= 2;
}
