import { RTimerConfigError } from '../errors.js';
import type { TimerConfig } from './types.js';

const SUFFIX = { s: '', ms: 'ms', us: 'u' } as const;

/**
 * A resolved timer as the Kamailio `timer` parameter that declares it again (`name=ta;interval=10;mode=1`,
 * plus `ntasks`/`nslices` when not 0 and 1). Seconds are written bare and microseconds as `u`, as Kamailio
 * reads them; `ms` and `mode=inline` are node-rtimer's. Typed-only options have no string form, nor has
 * a ptimer timer (its `type`) in rtimer's syntax: such a timer is refused.
 */
export function toKamailioString(timer: TimerConfig): string {
  if (timer.type !== undefined) refuse(timer, [`ptimer type ${timer.type}`], 'rtimer strings (use toPtimerStrings)');
  refuse(timer, typedOnly(timer));
  // The mode after the interval: Kamailio reads the keys from last to first, and a `u` interval read
  // before the mode would set mode 1 and hide it.
  return `name=${timer.name};interval=${timer.interval}${SUFFIX[timer.unit]};mode=${timer.mode}${counts(timer)}` +
    (timer.cluster !== undefined ? `;cluster=${timer.cluster}` : '');
}

/**
 * The Kamailio `exec` parameters of a resolved timer, one per tick route, in execution order. rtimer has
 * no start or end route: a timer with one is refused.
 */
export function toKamailioExecStrings(timer: TimerConfig): string[] {
  const hooks = (['start', 'end'] as const).filter((h) => timer[h] !== undefined).map((h) => `a ${h} route`);
  refuse(timer, hooks, 'rtimer exec strings');
  return timer.routes.map((route) => `timer=${timer.name};route=${quoteValue(route, timer.name)}`);
}

export interface PtimerStrings {
  /** The `modparam("ptimer", "timer", ...)` value. */
  timer: string;
  start?: string;
  loop: string;
  end?: string;
}

/**
 * A resolved timer as Kamailio ptimer parameters. ptimer runs every timer in `nworkers` processes with
 * one loop route, so the timer needs mode N >= 1 and exactly one tick route. A timer without a ptimer
 * `type` is printed as type 3 (synced slice): drift-free and sliced, as every rtimer timer runs here.
 */
export function toPtimerStrings(timer: TimerConfig): PtimerStrings {
  const problems = typedOnly(timer);
  if (typeof timer.mode !== 'number' || timer.mode < 1) problems.push(`mode ${timer.mode} (ptimer timers run in nworkers >= 1 processes)`);
  if (timer.routes.length !== 1) problems.push(`${timer.routes.length} tick routes (ptimer takes one loop route)`);
  refuse(timer, problems, 'ptimer parameters');
  const route = (r: string) => `timer=${timer.name};route=${quoteValue(r, timer.name)}`;
  return {
    timer: `name=${timer.name};type=${timer.type ?? 3};interval=${timer.interval}${timer.unit};nworkers=${timer.mode}${counts(timer)}`,
    ...(timer.start !== undefined ? { start: route(timer.start) } : {}),
    loop: route(timer.routes[0]),
    ...(timer.end !== undefined ? { end: route(timer.end) } : {}),
  };
}

function typedOnly(timer: TimerConfig): string[] {
  const options: string[] = [];
  if (timer.policy !== 'skip') options.push('policy');
  if (timer.maxBurst !== 10) options.push('maxBurst');
  if (timer.precision !== null) options.push('precision');
  if (timer.thread !== 'shared') options.push('thread');
  if (Object.keys(timer.realtime).length > 0) options.push(...Object.keys(timer.realtime));
  if (timer.stagger) options.push('stagger');
  if (timer.phaseUs !== undefined) options.push('phase');
  if (timer.align !== undefined) options.push('align');
  return options;
}

function refuse(timer: TimerConfig, what: string[], form = 'the typed form'): void {
  if (what.length === 0) return;
  const message = form === 'the typed form'
    ? `timer "${timer.name}" uses ${what.join(', ')}, which only the typed form can express`
    : `timer "${timer.name}" has ${what.join(', ')}, which ${form} cannot express`;
  throw new RTimerConfigError('ERR_RTIMER_NO_STRING_FORM', message, { text: timer.name });
}

function counts(timer: TimerConfig): string {
  return `${timer.ntasks !== 0 ? `;ntasks=${timer.ntasks}` : ''}${timer.nslices !== 1 ? `;nslices=${timer.nslices}` : ''}`;
}

function quoteValue(value: string, timer: string): string {
  if (!/[;"'=,>\s]/.test(value)) return value;
  // Kamailio's parameter parser takes a quote after a backslash as part of the value.
  if (!value.includes('"') && !value.endsWith('\\')) return `"${value}"`;
  if (!value.includes("'") && !value.endsWith('\\')) return `'${value}'`;
  throw new RTimerConfigError('ERR_RTIMER_NO_STRING_FORM', `route "${value}" of timer "${timer}" cannot be quoted for Kamailio: it holds both quote characters, or ends with a backslash`,
    { text: value });
}
