import type { SubstExpr } from './subst-expr.js';

/**
 * Where Kamailio's lexer stands at the start of a line: in code, inside a (nestable) block
 * comment, or inside a string that goes on over the line end.
 */
export type LexState =
  | { kind: 'code' }
  | { kind: 'comment'; depth: number; line: number }
  | { kind: 'string'; quote: '"' | "'"; line: number };

export interface ScanContext {
  /** The value of a defined name (`''` for a name defined without one), or undefined. */
  lookup(name: string): string | undefined;
  substs: readonly SubstExpr[];
}

export interface ScannedLine {
  /** The line as Kamailio's parser sees it: defines expanded, substs applied, comments removed. */
  text: string;
  /** The string literals that ended on this line, after the substs. */
  strings: string[];
  /** Whether anything besides strings, comments and blanks is on the line. */
  hasCode: boolean;
  state: LexState;
}

/** Guards against `#!define A B` + `#!define B A`, which sends Kamailio's lexer round forever. */
const MAX_EXPANSIONS = 10_000;

export class DefineLoopError extends Error {}

/**
 * Scans one line the way cfg.lex does in its INITIAL state: a defined ID is replaced by its value
 * and the value scanned again (so values may hold other IDs, strings or comments); strings are left
 * as they are except for the `#!subst` rules; `#` and `//` end the line, block comments nest;
 * pseudo-variables (`$...`) and selects (`@...`) keep their IDs.
 */
export function scanLine(line: string, state: LexState, lineNo: number, ctx: ScanContext): ScannedLine {
  let s = line;
  let out = '';
  const strings: string[] = [];
  let hasCode = false;
  let expansions = 0;
  let i = 0;
  let st = state;

  while (i < s.length) {
    if (st.kind === 'comment') {
      if (s.startsWith('/*', i)) { st = { ...st, depth: st.depth + 1 }; i += 2; continue; }
      if (s.startsWith('*/', i)) {
        i += 2;
        st = st.depth > 1 ? { ...st, depth: st.depth - 1 } : { kind: 'code' };
        if (st.kind === 'code') out += ' ';
        continue;
      }
      i++;
      continue;
    }
    if (st.kind === 'string') {
      // Only at the start of a line: the tail of a string begun on an earlier line. Substs apply to
      // whole strings, and we only rewrite strings that open and close on one line.
      const end = findQuoteEnd(s, i, st.quote);
      if (end < 0) { out += s.slice(i); break; }
      out += s.slice(i, end + 1);
      i = end + 1;
      st = { kind: 'code' };
      hasCode = true;
      continue;
    }
    const c = s[i];
    if (s.startsWith('/*', i)) { st = { kind: 'comment', depth: 1, line: lineNo }; i += 2; continue; }
    if (c === '#' || s.startsWith('//', i)) break;
    if (c === '"' || c === "'") {
      const end = findQuoteEnd(s, i + 1, c);
      if (end < 0) { out += s.slice(i); st = { kind: 'string', quote: c, line: lineNo }; break; }
      out += encodeString(c, s.slice(i + 1, end), ctx.substs, strings);
      i = end + 1;
      continue;
    }
    if (c === '$') {
      const end = pvarEnd(s, i);
      out += s.slice(i, end);
      hasCode = true;
      i = end;
      continue;
    }
    if (c === '@') {
      const m = /^@[A-Za-z0-9_.[\]]*/.exec(s.slice(i))!;
      out += m[0];
      hasCode = true;
      i += m[0].length;
      continue;
    }
    const word = /^[A-Za-z0-9_]+/.exec(s.slice(i));
    if (word) {
      const w = word[0];
      const value = /^[A-Za-z_]/.test(w) ? ctx.lookup(w) : undefined;
      if (value !== undefined) {
        if (++expansions > MAX_EXPANSIONS) {
          throw new DefineLoopError(`the value of "${w}" never stops expanding (defines that refer to each other)`);
        }
        s = s.slice(0, i) + value + s.slice(i + w.length);
        continue;
      }
      out += w;
      hasCode = true;
      i += w.length;
      continue;
    }
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\b') hasCode = true;
    out += c;
    i++;
  }
  return { text: out, strings, hasCode, state: st };
}

/** Index of the closing quote, or -1. Double-quoted strings take backslash escapes; single-quoted do not. */
function findQuoteEnd(s: string, from: number, quote: string): number {
  for (let j = from; j < s.length; j++) {
    if (quote === '"' && s[j] === '\\') { j++; continue; }
    if (s[j] === quote) return j;
  }
  return -1;
}

/** `$name`, `$name(...)` or `$(...)`, parentheses nested; `$?`, `$rc` and friends are just `$` + word. */
function pvarEnd(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length && /[A-Za-z0-9_.]/.test(s[j])) j++;
  if (s[j] !== '(') return j;
  let depth = 0;
  for (; j < s.length; j++) {
    if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return j + 1;
  }
  return s.length;
}

/** Decodes a string literal's body as STRING1/STRING2 in cfg.lex do (an escaped line end is dropped). */
export function decodeString(quote: string, raw: string): string {
  if (quote === "'") return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) { out += c; continue; }
    const e = raw[i + 1];
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(raw.slice(i + 1));
    const oct = /^[0-7]{2,3}/.exec(raw.slice(i + 1));
    if (e === '\n') { i++; } else if (e === 'n') { out += '\n'; i++; } else if (e === 'r') { out += '\r'; i++; } else if (e === 'a') { out += '\x07'; i++; } else if (e === 't') { out += '\t'; i++; } else if (e === '"' || e === '\\') { out += e; i++; } else if (hex) { out += String.fromCharCode(parseInt(hex[1], 16)); i += hex[0].length; } else if (oct) { out += String.fromCharCode(parseInt(oct[0], 8) & 0xff); i += oct[0].length; } else out += c; // an unknown escape keeps its backslash
  }
  return out;
}

/** The literal as it goes out: untouched unless a subst changed its value. */
function encodeString(quote: string, raw: string, substs: readonly SubstExpr[], strings: string[]): string {
  const value = decodeString(quote, raw);
  let result = value;
  for (const rule of substs) result = rule.apply(result);
  strings.push(result);
  if (result === value) return quote + raw + quote;
  return '"' + result.replace(/[\\"]/g, (ch) => '\\' + ch).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}
