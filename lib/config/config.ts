import { RTimerConfigError, RTimerError } from '../errors.js';
import { describeValue } from './describe.js';
import { parseInterval } from './interval.js';
import { parseParam, type Where } from './param.js';
import type { ExecSpec, PtimerType, RouteHook, TimerConfig, TimerSpec } from './types.js';
import { validateOptions, OPTION_KEYS } from './options.js';
import { taskCount } from './tasks.js';
import { MAX_CLUSTER_TASKS } from '../cluster/assign.js';

/** Kamailio takes any name its parameter parser can read: no blanks, control characters, quotes, ";", "," or "=". */
const NAME_RE = /^[^\s;,="'\x00-\x1f\x7f]+$/;
export const MAX_MODE = 1024;
const DEFAULT_INTERVAL_S = 120;
const TIMER_KEYS = ['name', 'interval', 'mode', 'ntasks', 'nslices', 'cluster', ...OPTION_KEYS] as const;
const TIMER_STRING_KEYS = ['name', 'mode', 'interval', 'ntasks', 'nslices', 'cluster'] as const;
const EXEC_KEYS = ['timer', 'route'] as const;
const EXEC_SPEC_KEYS = ['timer', 'route', 'on'] as const;
const HOOKS: readonly RouteHook[] = ['start', 'tick', 'end'];

/**
 * The ptimer type of a typed spec built by the ptimer reader (lib/config/ptimer.ts). A symbol, so that
 * it is no option of the public TimerSpec: `type` only has a meaning for ptimer's own parameters.
 */
export const PTIMER_TYPE: unique symbol = Symbol('rtimer.ptimerType');

interface PendingExec { timer: string; route: string; on: RouteHook; where: Where; text: string; fromString: boolean }

/**
 * The rtimer module parameters of one configuration, in the order given. `exec` may name a timer
 * declared later; it is checked by `resolve()`, when the configuration is complete.
 */
export class RTimerConfig {
  #defaultInterval = DEFAULT_INTERVAL_S;
  #frozen = false;
  readonly #timers = new Map<string, TimerConfig>();
  readonly #execs: PendingExec[] = [];

  /**
   * Makes the configuration read-only: `timer()`, `exec()` and `setDefaultInterval()` then throw
   * `ERR_RTIMER_RUNNING`. `RTimer.start()` calls it, so what runs is what `timers()` and `stats()` show.
   */
  freeze(): this {
    this.#frozen = true;
    return this;
  }

  /** @internal Undoes freeze() after a start() that failed, so the configuration can be fixed and started again. */
  unfreeze(): this {
    this.#frozen = false;
    return this;
  }

  get frozen(): boolean { return this.#frozen; }

  /** Applies to timers declared after it, as in Kamailio. */
  setDefaultInterval(value: number | string, where: Where = {}): this {
    this.#assertOpen('setDefaultInterval()');
    const at = cleanWhere(where);
    const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : describeValue(value);
    if (!/^[0-9]+$/.test(text) || Number(text) <= 0 || Number(text) > 0xffff_ffff) {
      throw new RTimerConfigError('ERR_RTIMER_DEFAULT_INTERVAL_INVALID',
        `invalid default_interval ${describeValue(value)}: expected a positive whole number of seconds`
        + (text === '0' ? '; Kamailio would give the timers after it an interval of 0 s' : ''), { ...at, text });
    }
    this.#defaultInterval = Number(text);
    return this;
  }

  timer(spec: string | TimerSpec, where: Where = {}): this {
    this.#assertOpen('timer()');
    const at = cleanWhere(where);
    const timer = typeof spec === 'string' ? this.#fromString(spec, at) : guard(spec, at, () => this.#fromObject(spec, at));
    const key = timer.name.toLowerCase();
    const prior = this.#timers.get(key);
    if (prior) {
      const elsewhere = prior.source?.file !== undefined && prior.source.file !== at.file ? `${prior.source.file}:` : '';
      const line = prior.source?.line !== undefined ? ` (first declared at ${elsewhere ? elsewhere : 'line '}${prior.source.line})` : '';
      throw new RTimerConfigError('ERR_RTIMER_TIMER_DUPLICATE',
        `duplicate timer "${timer.name}"${line}: names are case-insensitive`, { ...at, text: timer.name });
    }
    this.#timers.set(key, timer);
    return this;
  }

  exec(spec: string | ExecSpec, where: Where = {}): this {
    this.#assertOpen('exec()');
    const at = cleanWhere(where);
    let timer: unknown;
    let route: unknown;
    let on: unknown;
    let text: string;
    if (typeof spec === 'string') {
      const kv = parseParam(spec, EXEC_KEYS, at);
      timer = kv.get('timer');
      route = kv.get('route');
      text = spec;
    } else {
      ({ timer, route, on } = guard(spec, at, () => readSpec(spec, EXEC_SPEC_KEYS, 'exec', '{ timer, route, on }', at)));
      text = describeValue(spec);
    }
    if (on !== undefined && !HOOKS.includes(on as RouteHook)) {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_INVALID',
        `exec ${text}: "on" must be 'start', 'tick' or 'end', got ${describeValue(on)}`, { ...at, text: describeValue(on) });
    }
    for (const [key, value] of [['timer', timer], ['route', route]] as const) {
      if (value !== undefined && typeof value !== 'string') {
        throw new RTimerConfigError('ERR_RTIMER_EXEC_INVALID',
          `exec ${text}: "${key}" must be a string, got ${describeValue(value)}`, { ...at, text: describeValue(value) });
      }
    }
    if (typeof timer !== 'string' || timer.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_MISSING', `exec "${text}" names no timer`, { ...at, text });
    }
    if (typeof route !== 'string' || route.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_ROUTE_MISSING', `exec "${text}" names no route`, { ...at, text });
    }
    this.#execs.push({
      timer: timer.trim(), route: route.trim(), on: (on as RouteHook | undefined) ?? 'tick', where: at, text,
      fromString: typeof spec === 'string',
    });
    return this;
  }

  /**
   * The timers in declaration order with their routes attached; throws on an exec naming no timer, a
   * second start or end route for a timer, or an rtimer `exec` string naming a ptimer timer.
   */
  resolve(): TimerConfig[] {
    const timers = [...this.#timers.values()].map(copyTimer);
    const byKey = new Map(timers.map((t) => [t.name.toLowerCase(), t]));
    const hookAt = new Map<string, Where>();
    for (const e of this.#execs) {
      const t = byKey.get(e.timer.toLowerCase());
      if (!t) {
        throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_UNKNOWN',
          `exec "${e.text}" names timer "${e.timer}", which is not declared`, { ...e.where, text: e.timer });
      }
      if (e.fromString && t.type !== undefined) {
        // Two modules in Kamailio: rtimer's exec never reaches a ptimer timer.
        throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_UNKNOWN',
          `exec "${e.text}" names timer "${e.timer}", which is a ptimer timer: give it routes with modparam("ptimer", "loop", ...)`,
          { ...e.where, text: e.timer });
      }
      if (e.on === 'tick') { t.routes.push(e.route); continue; }
      const key = `${e.on} ${t.name.toLowerCase()}`;
      const prior = hookAt.get(key);
      if (prior) {
        const line = prior.line !== undefined ? ` (line ${prior.line})` : '';
        throw new RTimerConfigError('ERR_RTIMER_EXEC_DUPLICATE',
          `timer "${t.name}" already has the ${e.on} route "${t[e.on]}"${line}: a timer has at most one ${e.on} route`,
          { ...e.where, text: e.route });
      }
      hookAt.set(key, e.where);
      t[e.on] = e.route;
    }
    return timers;
  }

  #assertOpen(what: string): void {
    if (this.#frozen) {
      throw new RTimerError('ERR_RTIMER_RUNNING', `${what}: the configuration is read-only once start() has been called`);
    }
  }

  #fromString(text: string, where: Where): TimerConfig {
    const kv = parseParam(text, TIMER_STRING_KEYS, where);
    return this.#build(kv.get('name'), kv.get('interval'), kv.get('mode'),
      { ntasks: kv.get('ntasks'), nslices: kv.get('nslices'), cluster: kv.get('cluster') }, where, text);
  }

  #fromObject(spec: TimerSpec, where: Where): TimerConfig {
    const { name, interval, mode, ...options } = readSpec(spec, TIMER_KEYS, 'timer', '{ name, interval, mode }', where);
    const text = describeValue(spec);
    if (name !== undefined && typeof name !== 'string') {
      throw new RTimerConfigError('ERR_RTIMER_NAME_INVALID', `timer ${text}: "name" must be a string, got ${describeValue(name)}`,
        { ...where, text: describeValue(name) });
    }
    if (interval !== undefined && typeof interval !== 'number' && typeof interval !== 'string') {
      throw new RTimerConfigError('ERR_RTIMER_INTERVAL_INVALID',
        `timer ${text}: invalid interval ${describeValue(interval)}: expected a number of seconds or a string such as "250ms"`,
        { ...where, text: describeValue(interval) });
    }
    if (mode !== undefined && typeof mode !== 'number' && typeof mode !== 'string') {
      throw new RTimerConfigError('ERR_RTIMER_MODE_INVALID',
        `timer ${text}: invalid mode ${describeValue(mode)}: expected 0, a number of processes or 'inline'`,
        { ...where, text: describeValue(mode) });
    }
    if (typeof interval === 'number' && Number.isFinite(interval) && interval > 0 && !Number.isInteger(interval)) {
      // Kamailio's interval is whole seconds; a fraction is a finer unit, which also means a native timer.
      const hint = Number.isInteger(interval * 1000) ? `"${interval * 1000}ms"` : `"${Math.round(interval * 1e6)}us"`;
      throw new RTimerConfigError('ERR_RTIMER_INTERVAL_INVALID',
        `timer ${text}: invalid interval ${interval}: a number is whole seconds; use ${hint} (a ms or us interval ` +
        "runs on a native timer: mode: 'inline' here, or mode N >= 1)", { ...where, text: String(interval) });
    }
    const built = this.#build(name, interval === undefined ? undefined : String(interval),
      mode === undefined ? undefined : String(mode), options, where, text);
    const type = (spec as { [PTIMER_TYPE]?: unknown })[PTIMER_TYPE];
    if (type !== undefined) {
      if (type !== 0 && type !== 1 && type !== 2 && type !== 3) {
        throw new RTimerConfigError('ERR_RTIMER_TYPE_INVALID', `timer "${built.name}": invalid ptimer type ${describeValue(type)}`,
          { ...where, text: describeValue(type) });
      }
      built.type = type as PtimerType;
    }
    return built;
  }

  #build(rawName: string | undefined, intervalText: string | undefined, modeText: string | undefined,
    extra: Record<string, unknown>, where: Where, text: string): TimerConfig {
    const { ntasks, nslices, cluster, ...options } = extra;
    const name = rawName?.trim() ?? '';
    if (name === '') {
      throw new RTimerConfigError('ERR_RTIMER_NAME_MISSING', `timer "${text}" has no name`, { ...where, text });
    }
    if (!NAME_RE.test(name)) {
      throw new RTimerConfigError('ERR_RTIMER_NAME_INVALID',
        `invalid timer name "${name}": no blanks, control characters, quotes, ";", "," or "="`, { ...where, text: name });
    }
    const iv = parseInterval(intervalText ?? '', where);
    const interval = iv.isDefault ? { value: this.#defaultInterval, unit: 's' as const, intervalUs: this.#defaultInterval * 1e6 } : iv;
    const m = modeText?.trim() ?? '';
    let mode: number | 'inline';
    if (m === '') mode = 0;
    else if (m.toLowerCase() === 'inline') mode = 'inline';
    else if (/^[0-9]+$/.test(m) && Number(m) <= MAX_MODE) mode = Number(m);
    else {
      throw new RTimerConfigError('ERR_RTIMER_MODE_INVALID',
        `invalid mode "${modeText}": expected 0 (shared timer), a number of processes from 1 to ${MAX_MODE}, or inline`,
        { ...where, text: modeText });
    }
    // Kamailio moves a microsecond timer off the main timer; ms and us are ours, treated alike.
    if (mode === 0 && interval.unit !== 's') mode = 1;
    const role = clusterRole(cluster, name, where);
    const counts = { ntasks: taskCount('ntasks', ntasks, name, where), nslices: taskCount('nslices', nslices, name, where) };
    if (role === 'slices' && (counts.ntasks < 1 || counts.ntasks > MAX_CLUSTER_TASKS)) {
      throw new RTimerConfigError('ERR_RTIMER_NTASKS_INVALID',
        `timer "${name}": a cluster: 'slices' timer needs ntasks from 1 to ${MAX_CLUSTER_TASKS} (got ${counts.ntasks})`, { ...where, text: String(counts.ntasks) });
    }
    return {
      name,
      mode,
      interval: interval.value,
      unit: interval.unit,
      intervalUs: interval.intervalUs,
      routes: [],
      ...counts,
      ...validateOptions(options, name, mode, where, interval.intervalUs),
      ...(role !== undefined ? { cluster: role } : {}),
      source: where.line !== undefined || where.file !== undefined ? { ...where } : undefined,
    };
  }
}


/** `cluster=once|slices|all` (any case); undefined for `all` or nothing. */
function clusterRole(value: unknown, name: string, where: Where): 'once' | 'slices' | undefined {
  if (value === undefined) return undefined;
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v !== 'once' && v !== 'slices' && v !== 'all') {
    throw new RTimerConfigError('ERR_RTIMER_CLUSTER_INVALID',
      `timer "${name}": invalid cluster ${describeValue(value)}: expected "once", "slices" or "all"`, { ...where, text: describeValue(value) });
  }
  return v === 'all' ? undefined : v;
}

/**
 * The allowed keys of a typed spec, read once (a getter runs once); an own key outside `keys` is an error.
 */
function readSpec<K extends string>(spec: unknown, keys: readonly K[], what: string, shape: string,
  where: Where): Partial<Record<K, unknown>> {
  if (spec === null || spec === undefined) {
    throw new RTimerConfigError('ERR_RTIMER_PARAM_EMPTY', `${what} expects a string or ${shape}, got ${spec}`,
      { ...where, text: String(spec) });
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    throw new RTimerConfigError('ERR_RTIMER_SPEC_INVALID', `${what} expects a string or ${shape}, got ${describeValue(spec)}`,
      { ...where, text: describeValue(spec) });
  }
  for (const k of Object.keys(spec)) {
    if (!(keys as readonly string[]).includes(k)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_UNKNOWN_KEY',
        `${what} ${describeValue(spec)}: unknown option "${k}" (expected ${keys.join(', ')})`, { ...where, text: k });
    }
  }
  const out: Partial<Record<K, unknown>> = {};
  for (const k of keys) {
    const value = (spec as Record<string, unknown>)[k];
    if (value !== undefined) out[k] = value;
  }
  return out;
}

/** Runs `fn`; anything it throws that is not already an RTimerConfigError (a getter, a proxy trap) becomes one. */
function guard<T>(spec: unknown, where: Where, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RTimerConfigError) throw err;
    throw new RTimerConfigError('ERR_RTIMER_SPEC_INVALID',
      `cannot read ${describeValue(spec)}: ${describeValue(err instanceof Error ? err.message : err)}`, { ...where, text: describeValue(spec) });
  }
}

function cleanWhere(where: unknown): Where {
  if (where === null || typeof where !== 'object') return {};
  const { file, line } = where as Where;
  return {
    ...(typeof file === 'string' ? { file } : {}),
    ...(Number.isInteger(line) ? { line } : {}),
  };
}

function copyTimer(t: TimerConfig): TimerConfig {
  const realtime = { ...t.realtime };
  if (realtime.cpus) realtime.cpus = [...realtime.cpus];
  return { ...t, routes: [], precision: t.precision && { ...t.precision }, realtime, source: t.source && { ...t.source } };
}
