import { RTimerConfigError } from '../errors.js';
import { parseInterval } from './interval.js';
import { parseParam, type Where } from './param.js';
import type { ExecSpec, TimerConfig, TimerSpec } from './types.js';

const NAME_RE = /^[A-Za-z0-9_.-]+$/;
const MAX_MODE = 1024;
const DEFAULT_INTERVAL_S = 120;

interface PendingExec { timer: string; route: string; where: Where; text: string }

/**
 * The rtimer module parameters of one configuration, in the order given. `exec` may name a timer
 * declared later; it is checked by `resolve()`, when the configuration is complete.
 */
export class RTimerConfig {
  #defaultInterval = DEFAULT_INTERVAL_S;
  readonly #timers = new Map<string, TimerConfig>();
  readonly #execs: PendingExec[] = [];

  /** Applies to timers declared after it, as in Kamailio. */
  setDefaultInterval(value: number | string, where: Where = {}): this {
    const text = String(value).trim();
    if (!/^[0-9]+$/.test(text) || Number(text) <= 0 || Number(text) > 0xffff_ffff) {
      throw new RTimerConfigError('ERR_RTIMER_DEFAULT_INTERVAL_INVALID',
        `invalid default_interval "${value}": expected a positive whole number of seconds`, { ...where, text });
    }
    this.#defaultInterval = Number(text);
    return this;
  }

  timer(spec: string | TimerSpec, where: Where = {}): this {
    const timer = typeof spec === 'string' ? this.#fromString(spec, where) : this.#fromObject(spec, where);
    const key = timer.name.toLowerCase();
    const prior = this.#timers.get(key);
    if (prior) {
      const at = prior.source?.line !== undefined ? ` (first declared at line ${prior.source.line})` : '';
      throw new RTimerConfigError('ERR_RTIMER_TIMER_DUPLICATE',
        `duplicate timer "${timer.name}"${at}: names are case-insensitive`, { ...where, text: timer.name });
    }
    this.#timers.set(key, timer);
    return this;
  }

  exec(spec: string | ExecSpec, where: Where = {}): this {
    let timer: string | undefined;
    let route: string | undefined;
    let text: string;
    if (typeof spec === 'string') {
      const kv = parseParam(spec, ['timer', 'route'], where);
      timer = kv.get('timer');
      route = kv.get('route');
      text = spec;
    } else if (spec !== null && typeof spec === 'object') {
      timer = spec.timer;
      route = spec.route;
      text = JSON.stringify(spec);
    } else {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_EMPTY', 'exec expects a string or { timer, route }',
        { ...where, text: String(spec) });
    }
    if (typeof timer !== 'string' || timer.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_MISSING', `exec "${text}" names no timer`, { ...where, text });
    }
    if (typeof route !== 'string' || route.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_ROUTE_MISSING', `exec "${text}" names no route`, { ...where, text });
    }
    this.#execs.push({ timer: timer.trim(), route: route.trim(), where, text });
    return this;
  }

  /** The timers in declaration order with their routes attached; throws on an exec naming no timer. */
  resolve(): TimerConfig[] {
    const timers = [...this.#timers.values()].map((t) => ({ ...t, routes: [] as string[] }));
    const byKey = new Map(timers.map((t) => [t.name.toLowerCase(), t]));
    for (const e of this.#execs) {
      const t = byKey.get(e.timer.toLowerCase());
      if (!t) {
        throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_UNKNOWN',
          `exec "${e.text}" names timer "${e.timer}", which is not declared`, { ...e.where, text: e.timer });
      }
      t.routes.push(e.route);
    }
    return timers;
  }

  #fromString(text: string, where: Where): TimerConfig {
    const kv = parseParam(text, ['name', 'mode', 'interval'], where);
    return this.#build({ name: kv.get('name'), interval: kv.get('interval'), mode: kv.get('mode') }, {}, where, text);
  }

  #fromObject(spec: TimerSpec, where: Where): TimerConfig {
    if (spec === null || typeof spec !== 'object') {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_EMPTY', 'timer expects a string or { name, interval, mode }',
        { ...where, text: String(spec) });
    }
    const { name, interval, mode, ...rest } = spec;
    const modeText = mode === undefined ? undefined : mode === 'inline' ? 'inline' : String(mode);
    const intervalText = interval === undefined ? undefined : String(interval);
    return this.#build({ name, interval: intervalText, mode: modeText }, rest, where, JSON.stringify(spec));
  }

  #build(fields: { name?: unknown; interval?: string; mode?: string }, extra: Omit<TimerSpec, 'name' | 'interval' | 'mode'>,
    where: Where, text: string): TimerConfig {
    const name = typeof fields.name === 'string' ? fields.name.trim() : '';
    if (name === '') {
      throw new RTimerConfigError('ERR_RTIMER_NAME_MISSING', `timer "${text}" has no name`, { ...where, text });
    }
    if (!NAME_RE.test(name)) {
      throw new RTimerConfigError('ERR_RTIMER_NAME_INVALID',
        `invalid timer name "${name}": use letters, digits, "_", "." and "-"`, { ...where, text: name });
    }
    const iv = parseInterval(fields.interval ?? '', where);
    const interval = iv.isDefault ? { value: this.#defaultInterval, unit: 's' as const, intervalUs: this.#defaultInterval * 1e6 } : iv;
    let mode: number | 'inline';
    if (fields.mode === undefined || fields.mode.trim() === '') mode = 0;
    else if (fields.mode.trim() === 'inline') mode = 'inline';
    else if (/^[0-9]+$/.test(fields.mode.trim()) && Number(fields.mode.trim()) <= MAX_MODE) mode = Number(fields.mode.trim());
    else {
      throw new RTimerConfigError('ERR_RTIMER_MODE_INVALID',
        `invalid mode "${fields.mode}": expected 0 (shared timer) or a number of processes from 1 to ${MAX_MODE}`,
        { ...where, text: fields.mode });
    }
    // Kamailio moves a microsecond timer off the main timer; ms and us are ours, treated alike.
    if (mode === 0 && interval.unit !== 's') mode = 1;
    return {
      name,
      mode,
      interval: interval.value,
      unit: interval.unit,
      intervalUs: interval.intervalUs,
      routes: [],
      ...validateExtra(extra, name, where),
      source: where.line !== undefined || where.file !== undefined ? { ...where } : undefined,
    };
  }
}

function validateExtra(extra: Omit<TimerSpec, 'name' | 'interval' | 'mode'>, name: string, where: Where) {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new RTimerConfigError('ERR_RTIMER_OPTION_INVALID',
      `timer "${name}": invalid ${field} ${JSON.stringify(value)}: expected ${expected}`, { ...where, text: String(value) });
  };
  const known = new Set(['policy', 'maxBurst', 'precision', 'thread', 'priority', 'schedPolicy', 'cpus', 'lockMemory', 'stagger']);
  for (const k of Object.keys(extra)) {
    if (!known.has(k)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_UNKNOWN_KEY', `timer "${name}": unknown option "${k}"`, { ...where, text: k });
    }
  }
  const policy = extra.policy ?? 'skip';
  if (!['skip', 'burst', 'delay'].includes(policy)) bad('policy', policy, '"skip", "burst" or "delay"');
  const maxBurst = extra.maxBurst ?? 10;
  if (!Number.isInteger(maxBurst) || maxBurst < 1 || maxBurst > 1_000_000) bad('maxBurst', maxBurst, 'an integer >= 1');
  let precision: { budget: number } | null = null;
  if (extra.precision === true) precision = { budget: 0.05 };
  else if (extra.precision && typeof extra.precision === 'object') {
    const budget = extra.precision.budget ?? 0.05;
    if (typeof budget !== 'number' || !(budget > 0 && budget <= 0.5)) bad('precision.budget', budget, 'a share of one core in (0, 0.5]');
    precision = { budget };
  } else if (extra.precision !== undefined && extra.precision !== false) bad('precision', extra.precision, 'true, false or { budget }');
  const thread = extra.thread ?? 'shared';
  if (thread !== 'shared' && thread !== 'own') bad('thread', thread, '"shared" or "own"');
  const realtime: TimerConfig['realtime'] = {};
  if (extra.priority !== undefined) {
    if (!Number.isInteger(extra.priority) || extra.priority < 1 || extra.priority > 99) bad('priority', extra.priority, 'an integer 1..99');
    realtime.priority = extra.priority;
    realtime.schedPolicy = extra.schedPolicy ?? 'fifo';
  }
  if (extra.schedPolicy !== undefined && extra.schedPolicy !== 'fifo' && extra.schedPolicy !== 'rr') bad('schedPolicy', extra.schedPolicy, '"fifo" or "rr"');
  if (extra.cpus !== undefined) {
    if (!Array.isArray(extra.cpus) || extra.cpus.length === 0 || !extra.cpus.every((c) => Number.isInteger(c) && c >= 0 && c < 1024)) {
      bad('cpus', extra.cpus, 'a non-empty array of CPU numbers');
    }
    realtime.cpus = [...extra.cpus];
  }
  if (extra.lockMemory !== undefined) {
    if (typeof extra.lockMemory !== 'boolean') bad('lockMemory', extra.lockMemory, 'a boolean');
    realtime.lockMemory = extra.lockMemory;
  }
  if (extra.stagger !== undefined && typeof extra.stagger !== 'boolean') bad('stagger', extra.stagger, 'a boolean');
  // Priority and affinity belong to a thread, so they give the timer a thread of its own.
  const ownThread = thread === 'own' || realtime.priority !== undefined || realtime.cpus !== undefined;
  return { policy, maxBurst, precision, thread: ownThread ? 'own' as const : 'shared' as const, realtime, stagger: extra.stagger ?? false };
}
