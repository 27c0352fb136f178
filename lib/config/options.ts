import { RTimerConfigError } from '../errors.js';
import { describeValue } from './describe.js';
import type { Where } from './param.js';
import type { TimerConfig } from './types.js';

/** The typed-only options of a timer; every one of them is read by the native engine. */
export const OPTION_KEYS = ['policy', 'maxBurst', 'precision', 'thread', 'priority', 'schedPolicy', 'cpus', 'lockMemory', 'stagger'] as const;

type Options = Pick<TimerConfig, 'policy' | 'maxBurst' | 'precision' | 'thread' | 'realtime' | 'stagger'>;

/**
 * Checks the typed-only options against the timer's final mode and fills in defaults. Mode 0 runs
 * on the shared JS scheduler, which has none of these knobs, and `stagger` spreads the workers of a
 * mode=N timer: an option the timer would not use is refused rather than silently ignored.
 */
export function validateOptions(extra: Record<string, unknown>, name: string, mode: number | 'inline', where: Where): Options {
  const given = OPTION_KEYS.filter((k) => extra[k] !== undefined);
  const unused = mode === 0 ? given[0] : mode === 'inline' && extra.stagger !== undefined ? 'stagger' : undefined;
  if (unused !== undefined) {
    const why = unused === 'stagger'
      ? 'spreads the processes of a mode=N timer (N >= 1)'
      : "is for native timers (mode: 'inline' or mode N >= 1); mode 0 runs on the shared main timer";
    throw new RTimerConfigError('ERR_RTIMER_OPTION_UNSUPPORTED',
      `timer "${name}": option "${unused}" ${why}, not mode ${mode === 'inline' ? "'inline'" : mode}`, { ...where, text: unused });
  }
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new RTimerConfigError('ERR_RTIMER_OPTION_INVALID',
      `timer "${name}": invalid ${field} ${describeValue(value)}: expected ${expected}`, { ...where, text: describeValue(value) });
  };
  const policy = extra.policy ?? 'skip';
  if (policy !== 'skip' && policy !== 'burst' && policy !== 'delay') bad('policy', policy, '"skip", "burst" or "delay"');
  const maxBurst = extra.maxBurst ?? 10;
  if (!Number.isInteger(maxBurst) || (maxBurst as number) < 1 || (maxBurst as number) > 1_000_000) bad('maxBurst', maxBurst, 'an integer 1..1000000');
  let precision: { budget: number } | null = null;
  const p = extra.precision;
  if (p === true) precision = { budget: 0.05 };
  else if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
    const keys = Object.keys(p);
    if (keys.some((k) => k !== 'budget')) bad('precision', p, '{ budget }');
    const budget = (p as { budget?: unknown }).budget ?? 0.05;
    if (typeof budget !== 'number' || !(budget > 0 && budget <= 0.5)) bad('precision.budget', budget, 'a share of one core in (0, 0.5]');
    precision = { budget: budget as number };
  } else if (p !== undefined && p !== false) bad('precision', p, 'true, false or { budget }');
  const thread = extra.thread ?? 'shared';
  if (thread !== 'shared' && thread !== 'own') bad('thread', thread, '"shared" or "own"');
  const schedPolicy = extra.schedPolicy;
  if (schedPolicy !== undefined && schedPolicy !== 'fifo' && schedPolicy !== 'rr') bad('schedPolicy', schedPolicy, '"fifo" or "rr"');
  const realtime: TimerConfig['realtime'] = {};
  if (extra.priority !== undefined) {
    const priority = extra.priority;
    if (!Number.isInteger(priority) || (priority as number) < 1 || (priority as number) > 99) bad('priority', priority, 'an integer 1..99');
    realtime.priority = priority as number;
    realtime.schedPolicy = (schedPolicy as 'fifo' | 'rr' | undefined) ?? 'fifo';
  }
  if (extra.cpus !== undefined) {
    const cpus = extra.cpus;
    const list: number[] = [];
    if (!Array.isArray(cpus) || cpus.length === 0 || cpus.length > 1024) bad('cpus', cpus, 'a non-empty array of CPU numbers');
    // An index loop, not every(): every() skips the holes of a sparse array.
    for (let i = 0; i < (cpus as unknown[]).length; i++) {
      const c = (cpus as unknown[])[i];
      if (!Number.isInteger(c) || (c as number) < 0 || (c as number) >= 1024) bad('cpus', cpus, 'a non-empty array of CPU numbers 0..1023');
      list.push(c as number);
    }
    realtime.cpus = list;
  }
  if (extra.lockMemory !== undefined) {
    if (typeof extra.lockMemory !== 'boolean') bad('lockMemory', extra.lockMemory, 'a boolean');
    realtime.lockMemory = extra.lockMemory as boolean;
  }
  if (extra.stagger !== undefined && typeof extra.stagger !== 'boolean') bad('stagger', extra.stagger, 'a boolean');
  // Priority and affinity belong to a thread, so they give the timer a thread of its own.
  const ownThread = thread === 'own' || realtime.priority !== undefined || realtime.cpus !== undefined;
  return {
    policy: policy as TimerConfig['policy'],
    maxBurst: maxBurst as number,
    precision,
    thread: ownThread ? 'own' : 'shared',
    realtime,
    stagger: (extra.stagger as boolean | undefined) ?? false,
  };
}
