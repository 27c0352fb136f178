import { RTimerConfigError } from '../errors.js';

export interface Where { file?: string; line?: number }

/**
 * Splits a Kamailio module parameter such as `name=ta; mode=1 ;interval="10"` into its keys
 * (lower-cased) and values (trimmed, unquoted). Keys outside `allowed` and repeated keys are errors.
 */
export function parseParam(text: string, allowed: readonly string[], where: Where = {}): Map<string, string> {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new RTimerConfigError('ERR_RTIMER_PARAM_EMPTY', 'empty parameter string', { ...where, text: String(text ?? '') });
  }
  const segments = splitUnquoted(text, where);
  if (segments.length > 1 && segments[segments.length - 1].trim() === '') segments.pop();
  const out = new Map<string, string>();
  for (const segment of segments) {
    if (segment.trim() === '') {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_SYNTAX', `empty item in "${text}" (only one trailing ";" is allowed)`,
        { ...where, text });
    }
    const eq = indexOfUnquoted(segment, '=');
    if (eq < 0) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_NO_EQUALS', `"${segment.trim()}" has no "=" (expected key=value)`,
        { ...where, text: segment.trim() });
    }
    const keyText = segment.slice(0, eq).trim();
    const key = keyText.toLowerCase();
    if (key === '') {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_SYNTAX', `"${segment.trim()}" has no key before "="`,
        { ...where, text: segment.trim() });
    }
    if (!allowed.includes(key)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_UNKNOWN_KEY',
        `unknown key "${keyText}" in "${text.trim()}" (expected ${allowed.join(', ')})`, { ...where, text: keyText });
    }
    if (out.has(key)) {
      throw new RTimerConfigError('ERR_RTIMER_PARAM_DUPLICATE_KEY', `key "${keyText}" given twice in "${text.trim()}"`,
        { ...where, text: keyText });
    }
    out.set(key, unquote(segment.slice(eq + 1).trim(), where));
  }
  return out;
}

function unquote(value: string, where: Where): string {
  const q = value[0];
  if (q !== '"' && q !== "'") return value;
  if (value.length < 2 || value[value.length - 1] !== q) {
    throw new RTimerConfigError('ERR_RTIMER_PARAM_SYNTAX', `unterminated quote in ${value}`, { ...where, text: value });
  }
  return value.slice(1, -1);
}

function splitUnquoted(text: string, where: Where): string[] {
  const parts: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === ';') { parts.push(text.slice(start, i)); start = i + 1; }
  }
  if (quote) {
    throw new RTimerConfigError('ERR_RTIMER_PARAM_SYNTAX', `unterminated quote in "${text}"`, { ...where, text });
  }
  parts.push(text.slice(start));
  return parts;
}

function indexOfUnquoted(text: string, ch: string): number {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === ch) return i;
  }
  return -1;
}
