import { RTimerConfigError } from '../errors.js';
import { MAX_MODE, PTIMER_TYPE, type RTimerConfig } from './config.js';
import { parseParam, type Where } from './param.js';
import type { IntervalUnit } from './interval.js';
import type { PtimerType, TimerSpec } from './types.js';

/** A modparam value as the cfg parser saw it: Kamailio checks its type against the parameter's. */
export interface ParamValue { kind: 'string' | 'number'; value: string }

type Hook = 'start' | 'loop' | 'end';
interface Declared { name: string; where: Where; hooks: Partial<Record<Hook, { route: string; where: Where }>> }

const TIMER_KEYS = ['name', 'type', 'interval', 'nworkers', 'ntasks', 'nslices'] as const;
const ROUTE_KEYS = ['timer', 'route'] as const;
const MAX_UINT = 0xffff_ffff;
const INT_PARAMS = new Set(['default_type', 'default_nworkers']);

/**
 * Kamailio's ptimer module parameters (src/modules/ptimer/ptimer.c), read into an RTimerConfig. A ptimer
 * timer becomes a timer with `type` set, `nworkers` dedicated processes (`mode: nworkers`: ptimer's
 * workers are processes, as rtimer's mode=N ones are), its `loop` route as the one tick route and its
 * `start`/`end` routes as such. One reader per configuration file: ptimer's defaults apply to the
 * timers declared after them, and a route parameter must come after its timer, as in ptimer.c.
 */
export class PtimerReader {
  // ptimer.c: default_type = PTIMER_TYPE_BASIC, default_interval = "1s", default_nworkers = 1
  // (its README says the default type is 1; the code, which Kamailio runs, says 0).
  #type: PtimerType = 0;
  #interval = { value: 1, unit: 's' as IntervalUnit };
  #nworkers = 1;
  readonly #timers = new Map<string, Declared>();

  constructor(private readonly into: RTimerConfig) {}

  param(param: string, value: ParamValue, where: Where): void {
    const name = param.toLowerCase();
    if (!['timer', 'start', 'loop', 'end', 'default_type', 'default_interval', 'default_nworkers'].includes(name)) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_UNKNOWN_PARAM',
        `unknown ptimer parameter "${param}" (expected timer, start, loop, end, default_type, default_interval or default_nworkers)`,
        { ...where, text: param });
    }
    const wantsInt = INT_PARAMS.has(name);
    if (wantsInt !== (value.kind === 'number')) {
      // modparam.c finds no parameter of that name and type: Kamailio stops there.
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_PARAM_TYPE',
        `ptimer parameter "${param}" takes ${wantsInt ? 'an integer' : 'a quoted string'}, got ${value.kind === 'number' ? value.value : `"${value.value}"`}`,
        { ...where, text: value.value });
    }
    switch (name) {
      case 'default_type': this.#type = ptimerType(value.value, 'default_type', where); break;
      case 'default_interval': this.#interval = ptimerInterval(value.value, 'default_interval', where); break;
      case 'default_nworkers': this.#nworkers = nworkers(value.value, 'default_nworkers', where); break;
      case 'timer': this.#timer(value.value, where); break;
      default: this.#route(name as Hook, value.value, where);
    }
  }

  /** ptimer's mod_init: every timer needs its loop route. */
  finish(): void {
    for (const t of this.#timers.values()) {
      if (!t.hooks.loop) {
        throw new RTimerConfigError('ERR_RTIMER_LOOP_MISSING',
          `ptimer timer "${t.name}" has no loop route: ptimer requires one, as in modparam("ptimer", "loop", "timer=${t.name};route=...")`,
          { ...t.where, text: t.name });
      }
    }
  }

  #timer(text: string, where: Where): void {
    const kv = parseParam(text, TIMER_KEYS, where);
    const name = kv.get('name') ?? '';
    if (name.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_NAME_MISSING', `ptimer timer "${text}" has no name`, { ...where, text });
    }
    const typeText = kv.get('type');
    const intervalText = kv.get('interval');
    const nworkersText = kv.get('nworkers');
    const interval = intervalText === undefined ? this.#interval : ptimerInterval(intervalText, 'interval', where);
    // ntasks and nslices stay digit strings: the typed spec checks them as it checks rtimer's keys.
    const counts: Record<string, string> = {};
    for (const k of ['ntasks', 'nslices']) { const v = kv.get(k); if (v !== undefined) counts[k] = v; }
    const spec = {
      name,
      interval: `${interval.value}${interval.unit}`,
      mode: nworkersText === undefined ? this.#nworkers : nworkers(nworkersText, 'nworkers', where),
      ...counts,
      [PTIMER_TYPE]: typeText === undefined ? this.#type : ptimerType(typeText, 'type', where),
    } as TimerSpec;
    this.into.timer(spec, where);
    this.#timers.set(name.trim(), { name: name.trim(), where, hooks: {} });
  }

  #route(hook: Hook, text: string, where: Where): void {
    const kv = parseParam(text, ROUTE_KEYS, where);
    const timer = kv.get('timer')?.trim() ?? '';
    const route = kv.get('route')?.trim() ?? '';
    if (timer === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_MISSING', `ptimer ${hook} "${text}" names no timer`, { ...where, text });
    }
    if (route === '') {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_ROUTE_MISSING', `ptimer ${hook} "${text}" names no route`, { ...where, text });
    }
    // ptimer.c looks the timer up, by its exact name, among the ptimer timers declared so far.
    const t = this.#timers.get(timer);
    if (!t) {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_UNKNOWN',
        `ptimer ${hook} "${text}" names timer "${timer}", but no ptimer timer of that name is declared before it`,
        { ...where, text: timer });
    }
    const prior = t.hooks[hook];
    if (prior) {
      // ptimer.c would keep the last one without a word; its README allows one.
      const line = prior.where.line !== undefined ? ` (line ${prior.where.line})` : '';
      throw new RTimerConfigError('ERR_RTIMER_EXEC_DUPLICATE',
        `ptimer timer "${t.name}" already has the ${hook} route "${prior.route}"${line}: ptimer takes one ${hook} route per timer`,
        { ...where, text: route });
    }
    t.hooks[hook] = { route, where };
    this.into.exec({ timer: t.name, route, on: hook === 'loop' ? 'tick' : hook }, where);
  }
}

/** ptimer's `type`: 0 basic, 1 sync, 2 slice, 3 synced slice. */
function ptimerType(text: string, what: string, where: Where): PtimerType {
  const t = text.trim();
  if (!/^[0-3]$/.test(t)) {
    throw new RTimerConfigError('ERR_RTIMER_TYPE_INVALID',
      `invalid ptimer ${what} "${text}": expected 0 (basic), 1 (sync), 2 (slice) or 3 (synced slice)`, { ...where, text });
  }
  return Number(t) as PtimerType;
}

/** `nworkers`: ptimer refuses 0; we also cap it at the most processes a timer may have. */
function nworkers(text: string, what: string, where: Where): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) < 1 || Number(t) > MAX_MODE) {
    throw new RTimerConfigError('ERR_RTIMER_NWORKERS_INVALID',
      `invalid ptimer ${what} "${text}": expected a number of worker processes from 1 to ${MAX_MODE}`, { ...where, text });
  }
  return Number(t);
}

/**
 * ptimer.c's parse_interval: a trailing `s` is dropped, then a trailing `m` means milliseconds and `u`
 * microseconds; what is left must be digits, not 0. So `10`, `10s`, `10ms`, `10us`, and also `10m`
 * (10 ms, not minutes) and `10u`. Case matters: `10MS` is refused, as by ptimer.
 */
export function ptimerInterval(text: string, what: string, where: Where): { value: number; unit: IntervalUnit } {
  const m = /^([0-9]+)(ms|us|m|u|s)?$/.exec(text.trim());
  if (!m) {
    throw new RTimerConfigError(what === 'default_interval' ? 'ERR_RTIMER_DEFAULT_INTERVAL_INVALID' : 'ERR_RTIMER_INTERVAL_INVALID',
      `invalid ptimer ${what} "${text}": expected a whole number, optionally followed by s, ms or us`, { ...where, text });
  }
  const value = Number(m[1]);
  if (value === 0 || value > MAX_UINT) {
    throw new RTimerConfigError(what === 'default_interval' ? 'ERR_RTIMER_DEFAULT_INTERVAL_INVALID'
      : value === 0 ? 'ERR_RTIMER_INTERVAL_INVALID' : 'ERR_RTIMER_INTERVAL_RANGE',
      `invalid ptimer ${what} "${text}": ${value === 0 ? 'an interval can not be 0' : `at most ${MAX_UINT}`}`, { ...where, text });
  }
  const unit: IntervalUnit = m[2] === 'ms' || m[2] === 'm' ? 'ms' : m[2] === 'us' || m[2] === 'u' ? 'us' : 's';
  return { value, unit };
}
