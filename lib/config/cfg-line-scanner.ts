import type { SubstExpr } from './subst-expr.js';

/**
 * Where Kamailio's lexer stands at the start of a line: in code, inside a (nestable) block
 * comment, inside a string that goes on over the line end (`raw`: its body so far), or after a
 * double-quoted string that the next line may still continue (`"a"` NL `"b"` is one string, "ab").
 */
export type LexState =
  | { kind: 'code' }
  | { kind: 'comment'; depth: number; line: number }
  | { kind: 'string'; quote: '"' | "'"; line: number; raw: string; joined: Joined | undefined }
  | { kind: 'joined'; line: number; joined: Joined };

/** A double-quoted string being joined: its value so far and, while it is one literal, that literal. */
export interface Joined { value: string; literal: string | undefined }

export interface ScanContext {
  /** The value of a defined name (`''` for a name defined without one), or undefined. */
  lookup(name: string): string | undefined;
  substs: readonly SubstExpr[];
  /** Whether `#!word` is a directive: the lexer takes one anywhere on a line, after code too. */
  isDirective(word: string): boolean;
}

export interface ScannedLine {
  /** The line as Kamailio's parser sees it: defines expanded, substs applied, comments removed. */
  text: string;
  /** The string literals that ended on this line, after the substs. */
  strings: string[];
  /** Whether anything besides strings, comments and blanks is on the line. */
  hasCode: boolean;
  state: LexState;
  /** A directive met after code on the line: the line's text from its `#!`. */
  directive?: string;
}

/** Guards against `#!define A B` + `#!define B A`, which sends Kamailio's lexer round forever. */
const MAX_EXPANSIONS = 10_000;

export class DefineLoopError extends Error {}

/**
 * Scans one line the way cfg.lex does in its INITIAL state: a defined ID is replaced by its value
 * and the value scanned again (so values may hold other IDs, strings or comments); `#` and `//` end the
 * line, block comments nest; pseudo-variables (`$...`) and selects (`@...`) keep their IDs. Double-quoted
 * strings that only blanks and line ends separate are one string (a comment, an ID or a single-quoted
 * string between them ends it), and the `#!subst` rules apply to that whole string, as in cfg.lex.
 */
export function scanLine(line: string, state: LexState, lineNo: number, ctx: ScanContext): ScannedLine {
  let s = line;
  let out = '';
  const strings: string[] = [];
  let hasCode = false;
  let expansions = 0;
  let i = 0;
  let st = state;
  let joined: Joined | undefined;
  let joinLine = lineNo;
  if (st.kind === 'joined') { joined = st.joined; joinLine = st.line; st = { kind: 'code' }; }
  const flush = () => {
    if (!joined) return;
    out += emitString(joined, ctx.substs, strings);
    hasCode = true;
    joined = undefined;
  };
  const closeString = (quote: string, raw: string, from: Joined | undefined, startLine: number) => {
    const value = decodeString(quote, raw);
    if (quote !== '"') { flush(); out += emitString({ value, literal: `'${raw}'` }, ctx.substs, strings); hasCode = true; return; }
    // A literal over several lines goes out re-encoded, on one line.
    joined = from ? { value: from.value + value, literal: undefined } : { value, literal: raw.includes('\n') ? undefined : `"${raw}"` };
    joinLine = startLine;
  };

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
      // The tail of a string begun on an earlier line: its line end is part of it.
      const end = findQuoteEnd(s, i, st.quote);
      if (end < 0) { st = { ...st, raw: st.raw + s.slice(i) + '\n' }; i = s.length; break; }
      const { quote, raw, joined: from, line: startLine } = st;
      st = { kind: 'code' };
      closeString(quote, raw + s.slice(i, end), from, startLine);
      i = end + 1;
      continue;
    }
    const c = s[i];
    if (joined && c !== ' ' && c !== '\t' && c !== '\r' && c !== '"') flush();
    if (s.startsWith('/*', i)) { st = { kind: 'comment', depth: 1, line: lineNo }; i += 2; continue; }
    if (c === '#' && s[i + 1] === '!') {
      const word = /^[A-Za-z_]+/.exec(s.slice(i + 2))?.[0];
      if (word !== undefined && ctx.isDirective(word)) return { text: out, strings, hasCode, state: st, directive: s.slice(i) };
    }
    if (c === '#' || s.startsWith('//', i)) break;
    if (c === '"' || c === "'") {
      const from = c === '"' ? joined : undefined;
      const end = findQuoteEnd(s, i + 1, c);
      if (end < 0) {
        st = { kind: 'string', quote: c, line: from ? joinLine : lineNo, raw: s.slice(i + 1) + '\n', joined: from };
        joined = undefined;
        break;
      }
      joined = undefined;
      closeString(c, s.slice(i + 1, end), from, from ? joinLine : lineNo);
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
    if (!joined) out += c;
    i++;
  }
  // A string at the end of the line waits: the next line may go on with another piece.
  if (joined) return { text: out, strings, hasCode, state: { kind: 'joined', line: joinLine, joined } };
  return { text: out, strings, hasCode, state: st };
}

/** The text of a pending joined string, for a caller that ends it (a directive line, the end of a file). */
export function endJoined(state: LexState, ctx: Pick<ScanContext, 'substs'>): { text: string; strings: string[] } | undefined {
  if (state.kind !== 'joined') return undefined;
  const strings: string[] = [];
  return { text: emitString(state.joined, ctx.substs, strings), strings };
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

/** The string as it goes out: one literal, untouched unless it was joined or a subst changed its value. */
function emitString(joined: Joined, substs: readonly SubstExpr[], strings: string[]): string {
  const value = joined.value;
  let result = value;
  for (const rule of substs) result = rule.apply(result);
  strings.push(result);
  if (result === value && joined.literal !== undefined) return joined.literal;
  return '"' + result.replace(/[\\"]/g, (ch) => '\\' + ch).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}
