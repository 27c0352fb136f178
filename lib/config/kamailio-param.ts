import { RTimerConfigError } from '../errors.js';
import type { Where } from './param.js';

/** One `name=body` of a Kamailio parameter string; `body` is undefined when there is no `=`. */
export interface KamailioParam { name: string; body: string | undefined }

const BLANK = new Set([' ', '\t', '\r', '\n']);

/**
 * A module parameter string as Kamailio's rtimer reads it from a config file: one trailing `;` dropped,
 * then core parse_params (parser/parse_param.c, class ANY, separator `;`). Its refusals are Kamailio's
 * (a blank before a key, a blank after the last `;`, an empty value followed by more); what Kamailio
 * accepts but then reads otherwise than written (text after a `,`, which ends the list) is refused with
 * what Kamailio would do (ERR_RTIMER_CONFIG_MISREAD). Params come back in text order.
 */
export function parseKamailioParams(text: string, where: Where): KamailioParam[] {
  const s = text.endsWith(';') ? text.slice(0, -1) : text;
  const params: KamailioParam[] = [];
  const refuse = (why: string): never => {
    throw new RTimerConfigError('ERR_RTIMER_PARAM_SYNTAX', `Kamailio refuses "${text}": ${why}`, { ...where, text });
  };
  const skip = (i: number) => { while (i < s.length && BLANK.has(s[i])) i++; return i; };
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && !BLANK.has(s[i]) && s[i] !== ',' && s[i] !== '=' && s[i] !== ';') i++;
    const param: KamailioParam = { name: s.slice(start, i), body: undefined };
    params.push(param);
    i = skip(i);
    if (i >= s.length) break;
    if (s[i] === '=') {
      i = skip(i + 1);
      if (i >= s.length) { param.body = ''; break; }
      if (s[i] === '"' || s[i] === "'") {
        let end = i + 1;
        while (end < s.length && (s[end] !== s[i] || s[end - 1] === '\\')) end++;
        if (end >= s.length) refuse(`unterminated ${s[i]} in a value`);
        param.body = s.slice(i + 1, end);
        i = end + 1;
      } else {
        let end = i;
        while (end < s.length && !BLANK.has(s[end]) && s[end] !== ',' && s[end] !== ';') end++;
        if (end === i) refuse(`empty value before "${s[i]}" (write the value, or leave the key out)`);
        param.body = s.slice(i, end);
        i = end;
      }
      i = skip(i);
      if (i >= s.length) break;
    }
    if (s[i] === ',' || s[i] === '>') {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MISREAD',
        `Kamailio stops reading "${text}" at "${s[i]}" and would ignore "${s.slice(i)}" without a word; `
        + 'separate keys with ";" (and quote a value that holds "," or ">")', { ...where, text });
    }
    if (s[i] !== ';') refuse(`"${s[i]}" where a ";" must come (no blanks before a key or inside a value)`);
    i = skip(i + 1);
    if (i >= s.length) refuse('a key must follow the last ";" (only one trailing ";" and no blank after it)');
  }
  return params;
}

/**
 * The keys of parsed params, each given once at most (`;;` gives an empty key, which Kamailio skips).
 * A repeated key is refused: Kamailio would keep the first name, interval, timer and route, and the last
 * mode that is not 0.
 */
export function keyedParams(params: KamailioParam[], allowed: readonly string[], text: string, where: Where): Map<string, { body: string | undefined; index: number }> {
  const out = new Map<string, { body: string | undefined; index: number }>();
  params.forEach((p, index) => {
    if (p.name === '') return;
    const key = p.name.toLowerCase();
    if (!allowed.includes(key)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_UNKNOWN_KEY',
        `unknown key "${p.name}" in "${text.trim()}" (expected ${allowed.join(', ')}; Kamailio would ignore it)`, { ...where, text: p.name });
    }
    if (out.has(key)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_DUPLICATE_KEY',
        `key "${p.name}" given twice in "${text.trim()}" (Kamailio would keep the first name, interval, timer or route, `
        + 'and the last mode that is not 0)', { ...where, text: p.name });
    }
    if (p.body === undefined) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_NO_EQUALS', `"${p.name}" has no "=" (expected key=value)`, { ...where, text: p.name });
    }
    out.set(key, { body: p.body, index });
  });
  return out;
}

// cluster= is node-rtimer's own key (cluster mode, lib/cluster): Kamailio would ignore it.
const TIMER_KEYS = ['name', 'interval', 'mode', 'ntasks', 'nslices', 'cluster'] as const;
const EXEC_KEYS = ['timer', 'route'] as const;
/** rtimer_mod.c: RTIMER_ROUTE_NAME_SIZE 64, and a name must leave room for its NUL and one more byte. */
export const MAX_ROUTE_NAME = 62;

/** What rtimer's `timer` parameter declares, read as Kamailio reads it; the typed spec it becomes. */
export function kamailioTimerSpec(text: string, where: Where): Record<string, string> {
  const kv = keyedParams(parseKamailioParams(text, where), TIMER_KEYS, text, where);
  const name = kv.get('name');
  if (name === undefined || name.body === '') {
    throw new RTimerConfigError('ERR_RTIMER_NAME_MISSING',
      `timer "${text}" has no name${name ? ' (Kamailio would declare a timer with an empty name)' : ''}`, { ...where, text });
  }
  const spec: Record<string, string> = { name: name.body! };
  const interval = kv.get('interval');
  const mode = kv.get('mode');
  // str2int takes a leading "+".
  if (interval) spec.interval = interval.body!.replace(/^\+(?=[0-9])/, '');
  if (mode) spec.mode = mode.body!.replace(/^\+(?=[0-9])/, '');
  // Kamailio reads the keys from last to first: a `u` interval after the mode turns mode 0 into 1
  // before the mode is read, and a mode is only read while it is still 0.
  if (interval && mode && interval.index > mode.index && /[uU]$/.test(interval.body!) && /^[0-9]+$/.test(spec.mode) && Number(spec.mode) > 1) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_MISREAD',
      `timer "${text}": Kamailio reads interval=${interval.body} first, which sets mode 1, and then ignores mode=${mode.body}; `
      + 'write the mode after the interval', { ...where, text });
  }
  for (const k of ['ntasks', 'nslices', 'cluster'] as const) { const v = kv.get(k); if (v) spec[k] = v.body!; }
  return spec;
}

/** What rtimer's `exec` parameter attaches, read as Kamailio reads it. */
export function kamailioExecSpec(text: string, where: Where): { timer: string; route: string } {
  const kv = keyedParams(parseKamailioParams(text, where), EXEC_KEYS, text, where);
  const timer = kv.get('timer')?.body;
  const route = kv.get('route')?.body;
  if (!timer) throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_MISSING', `exec "${text}" names no timer`, { ...where, text });
  if (!route) {
    throw new RTimerConfigError('ERR_RTIMER_EXEC_ROUTE_MISSING',
      `exec "${text}" names no route${route === undefined ? ' (Kamailio would take the whole text as a route name and run an empty route)' : ''}`,
      { ...where, text });
  }
  if (route.length > MAX_ROUTE_NAME) {
    throw new RTimerConfigError('ERR_RTIMER_EXEC_ROUTE_INVALID',
      `exec "${text}": route name of ${route.length} characters; Kamailio's rtimer takes at most ${MAX_ROUTE_NAME} ("route block name is too long")`,
      { ...where, text: route });
  }
  return { timer, route };
}
