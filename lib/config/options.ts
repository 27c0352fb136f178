import { RTimerConfigError } from '../errors.js';
import { describeValue } from './describe.js';
import type { Where } from './param.js';
import type { TimerConfig } from './types.js';

/** The typed-only options of a timer; every one of them is read by the native engine. */
export const OPTION_KEYS = ['policy', 'maxBurst', 'precision', 'thread', 'priority', 'schedPolicy', 'cpus', 'lockMemory', 'stagger',
  'phase', 'align'] as const;

type Options = Pick<TimerConfig, 'policy' | 'maxBurst' | 'precision' | 'thread' | 'realtime' | 'stagger' | 'phaseUs' | 'align'>;

const PHASE_UNIT_US: Record<string, number> = { s: 1_000_000, ms: 1_000, us: 1, u: 1 };

/** `'250us'`, `'5ms'`, `'1s'` (or digits alone: seconds), or a number of seconds; whole µs. Undefined when not one. */
function phaseUs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1e6) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*([0-9]+)(s|ms|us|u)?\s*$/i.exec(value);
  return m ? Number(m[1]) * PHASE_UNIT_US[(m[2] ?? 's').toLowerCase()] : undefined;
}

/**
 * Checks the typed-only options against the timer's final mode and fills in defaults. Mode 0 runs
 * on the shared JS scheduler, which has none of these knobs; `phase` and `align` are read where an
 * inline timer is armed (a mode=N timer's processes are spread by `stagger`): an option the timer
 * would not use is refused rather than silently ignored.
 */
export function validateOptions(extra: Record<string, unknown>, name: string, mode: number | 'inline', where: Where,
  intervalUs = Infinity): Options {
  const given = OPTION_KEYS.filter((k) => extra[k] !== undefined);
  const unused = mode === 0 ? given[0] : mode !== 'inline' ? given.find((k) => k === 'phase' || k === 'align') : undefined;
  if (unused !== undefined) {
    const why = mode !== 0
      ? `is for inline timers (mode: 'inline'); timer "${name}" is mode ${mode}, whose processes stagger spreads`
      : `is for native timers (mode: 'inline' or mode N >= 1); timer "${name}" is mode 0, on the shared main timer`;
    throw new RTimerConfigError('ERR_RTIMER_OPTION_UNSUPPORTED', `option "${unused}" ${why}`, { ...where, text: unused });
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
  let phase: number | undefined;
  if (extra.phase !== undefined) {
    phase = phaseUs(extra.phase);
    if (phase === undefined || !(phase < intervalUs)) {
      bad('phase', extra.phase, `a duration below the interval (${intervalUs} µs), such as '250us' or '5ms'`);
    }
  }
  if (extra.align !== undefined && extra.align !== 'realtime' && extra.align !== 'monotonic') {
    bad('align', extra.align, '"realtime" or "monotonic"');
  }
  // Priority and affinity belong to a thread, so they give the timer a thread of its own.
  const ownThread = thread === 'own' || realtime.priority !== undefined || realtime.cpus !== undefined;
  return {
    policy: policy as TimerConfig['policy'],
    maxBurst: maxBurst as number,
    precision,
    thread: ownThread ? 'own' : 'shared',
    realtime,
    stagger: (extra.stagger as boolean | undefined) ?? false,
    // Set only when given, so configurations without them compare and print as before.
    ...(phase !== undefined && phase > 0 ? { phaseUs: phase } : {}),
    ...(extra.align === 'realtime' ? { align: 'realtime' as const } : {}),
  };
}
