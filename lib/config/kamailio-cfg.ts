import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RTimerConfigError } from '../errors.js';
import { RTimerConfig } from './config.js';
import { describeValue } from './describe.js';

interface Token { kind: 'word' | 'string' | 'number' | 'punct'; value: string; line: number }

export interface ParseKamailioOptions {
  /** The file the text came from, for error messages. */
  file?: string;
  /** A configuration to add to, e.g. one holding timers declared through the API. */
  into?: RTimerConfig;
}

/**
 * Reads the rtimer `modparam` lines of a kamailio.cfg file, given by path or file URL. The argument is
 * always a file: configuration text goes to `parseKamailioConfig`. A missing or unreadable file,
 * NUL bytes and invalid UTF-8 are `RTimerConfigError`s naming the file (and the line).
 */
export function loadKamailioConfig(source: string | URL, into: RTimerConfig = new RTimerConfig()): RTimerConfig {
  let file: string;
  try {
    file = source instanceof URL ? fileURLToPath(source) : String(source);
    if (typeof source !== 'string' && !(source instanceof URL)) throw new TypeError('expected a path or a file URL');
    if (file === '') throw new TypeError('empty path');
  } catch (err) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_PATH', `invalid config path ${describeValue(source)}: ${(err as Error).message}`,
      { text: describeValue(source) });
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const hint = /[\n]|modparam/.test(file) ? ' (to parse configuration text, use parseKamailioConfig)' : '';
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_READ', `cannot read config "${file}": ${(err as Error).message}${hint}`,
      { text: file, file });
  }
  return parseKamailioConfig(decodeConfig(bytes, file), { file, into });
}

/**
 * Parses kamailio.cfg text (never a path): the rtimer `modparam` lines; other modules' lines are ignored.
 * `parseKamailioConfig(text, file, into)`, the 0.1 form, still works.
 */
export function parseKamailioConfig(text: string, options?: ParseKamailioOptions | string, legacyInto?: RTimerConfig): RTimerConfig {
  const opts: ParseKamailioOptions = typeof options === 'string' ? { file: options, into: legacyInto }
    : options !== null && typeof options === 'object' ? options : { into: legacyInto };
  const file = typeof opts.file === 'string' ? opts.file : undefined;
  const into = opts.into ?? new RTimerConfig();
  if (typeof text !== 'string') {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT',
      `parseKamailioConfig expects the configuration text as a string, got ${describeValue(text)} (for a file, use loadKamailioConfig)`,
      { file, text: describeValue(text) });
  }
  checkText(text, file);
  const tokens = tokenize(text, file);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'word' || t.value !== 'modparam' || tokens[i + 1]?.value !== '(') continue;
    const args: Token[] = [];
    let j = i + 2;
    for (;;) {
      const a = tokens[j];
      if (!a || (a.kind !== 'string' && a.kind !== 'number')) {
        throw syntax(`malformed modparam(...): expected a quoted string or a number${a ? `, found "${a.value}"` : ''}`, a?.line ?? t.line, file);
      }
      args.push(a);
      const sep = tokens[j + 1];
      j += 2;
      if (sep?.value === ')') break;
      if (sep?.value !== ',') throw syntax('malformed modparam(...): expected "," or ")"', sep?.line ?? a.line, file);
    }
    i = j - 1;
    if (args[0].value.toLowerCase() !== 'rtimer') continue;
    const where = { file, line: args[0].line };
    if (args.length !== 3) throw syntax(`modparam("rtimer", ...) takes 3 arguments, found ${args.length}`, t.line, file);
    const [, param, value] = args;
    switch (param.value.toLowerCase()) {
      case 'timer': into.timer(value.value, { file, line: value.line }); break;
      case 'exec': into.exec(value.value, { file, line: value.line }); break;
      case 'default_interval': into.setDefaultInterval(value.value, { file, line: value.line }); break;
      default:
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_UNKNOWN_PARAM',
          `unknown rtimer parameter "${param.value}" (expected timer, exec or default_interval)`, { ...where, text: param.value });
    }
  }
  into.resolve();
  return into;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text; invalid UTF-8 is refused with its line (a leading BOM is dropped). */
function decodeConfig(bytes: Buffer, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      try { utf8.decode(bytes.subarray(start, end)); } catch { break; }
      if (nl < 0) break;
      line++;
      start = nl + 1;
    }
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_ENCODING', 'invalid UTF-8: a kamailio.cfg is text', { file, line });
  }
}

/** NUL bytes and lone UTF-16 surrogates are not configuration text; refused with their line. */
function checkText(text: string, file?: string): void {
  const bad = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (!bad) return;
  const line = lineAt(text, bad.index);
  if (bad[0] === '\0') throw new RTimerConfigError('ERR_RTIMER_CONFIG_ENCODING', 'NUL byte: a kamailio.cfg is text', { file, line });
  throw new RTimerConfigError('ERR_RTIMER_CONFIG_ENCODING', 'unpaired UTF-16 surrogate: not valid text', { file, line });
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function syntax(reason: string, line: number, file?: string): RTimerConfigError {
  return new RTimerConfigError('ERR_RTIMER_CONFIG_SYNTAX', reason, { file, line });
}

// Enough of Kamailio's lexer to find modparam calls: comments (`#`, `//`, `/* */`, and `#!`
// preprocessor lines, which we do not evaluate), strings with escapes, words, numbers.
function tokenize(text: string, file?: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const startLine = line;
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) { if (text[i] === '\n') line++; i++; }
      if (i >= text.length) throw syntax('unterminated /* comment', startLine, file);
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const startLine = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = text[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        value += text[i++];
      }
      if (i >= text.length) throw syntax(`unterminated string starting ${c}${value.slice(0, 30)}`, startLine, file);
      i++;
      tokens.push({ kind: 'string', value, line: startLine });
      continue;
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_.$]*/.exec(text.slice(i, i + 256));
    if (word) { tokens.push({ kind: 'word', value: word[0], line }); i += word[0].length; continue; }
    const num = /^-?[0-9]+/.exec(text.slice(i, i + 32));
    if (num) { tokens.push({ kind: 'number', value: num[0], line }); i += num[0].length; continue; }
    tokens.push({ kind: 'punct', value: c, line });
    i++;
  }
  return tokens;
}
