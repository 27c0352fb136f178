import { RTimerConfigError } from '../errors.js';
import type { TimerConfig } from './types.js';

const SUFFIX = { s: '', ms: 'ms', us: 'u' } as const;

/**
 * A resolved timer as the Kamailio `timer` parameter that declares it again (`name=ta;mode=1;interval=10`).
 * Seconds are written bare and microseconds as `u`, as Kamailio reads them; `ms` and `mode=inline` are
 * node-rtimer's. Typed-only options have no string form: a timer using one is refused.
 */
export function toKamailioString(timer: TimerConfig): string {
  const options: string[] = [];
  if (timer.policy !== 'skip') options.push('policy');
  if (timer.maxBurst !== 10) options.push('maxBurst');
  if (timer.precision !== null) options.push('precision');
  if (timer.thread !== 'shared') options.push('thread');
  if (Object.keys(timer.realtime).length > 0) options.push(...Object.keys(timer.realtime));
  if (timer.stagger) options.push('stagger');
  if (options.length > 0) {
    throw new RTimerConfigError('ERR_RTIMER_NO_STRING_FORM',
      `timer "${timer.name}" uses ${options.join(', ')}, which only the typed form can express`, { text: timer.name });
  }
  return `name=${timer.name};mode=${timer.mode};interval=${timer.interval}${SUFFIX[timer.unit]}`;
}

/** The Kamailio `exec` parameters of a resolved timer, one per route, in execution order. */
export function toKamailioExecStrings(timer: TimerConfig): string[] {
  return timer.routes.map((route) => `timer=${timer.name};route=${quoteValue(route, timer.name)}`);
}

function quoteValue(value: string, timer: string): string {
  if (!/[;"'=]/.test(value)) return value;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  throw new RTimerConfigError('ERR_RTIMER_NO_STRING_FORM', `route "${value}" of timer "${timer}" holds both quote characters`,
    { text: value });
}
