import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RTimerConfigError } from '../errors.js';
import { RTimerConfig } from './config.js';

interface Token { kind: 'word' | 'string' | 'number' | 'punct'; value: string; line: number }

/**
 * Reads the rtimer `modparam` lines of a kamailio.cfg, from a path, a file URL, or the text itself
 * (any string with a newline or a parenthesis is taken as text). Other modules' lines are ignored.
 */
export function loadKamailioConfig(source: string | URL, into: RTimerConfig = new RTimerConfig()): RTimerConfig {
  if (source instanceof URL || !/[\n(]/.test(source)) {
    const file = source instanceof URL ? fileURLToPath(source) : source;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_READ', `cannot read config "${file}": ${(err as Error).message}`,
        { text: file });
    }
    return parseKamailioConfig(text, file, into);
  }
  return parseKamailioConfig(source, undefined, into);
}

export function parseKamailioConfig(text: string, file?: string, into: RTimerConfig = new RTimerConfig()): RTimerConfig {
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
