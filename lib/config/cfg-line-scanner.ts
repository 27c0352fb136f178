import type { SubstBudget, SubstExpr } from './subst-expr.js';

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

/** A double-quoted string being joined: its value so far and, while it is one literal on one line, that literal. */
export interface Joined { value: string; literal: string | undefined }

export interface ScanContext {
  /** The value of a defined name (`''` for a name defined without one), or undefined. */
  lookup(name: string): string | undefined;
  substs: readonly SubstExpr[];
  /** What defines may add, per line and in all; shared by every line of a configuration. */
  expansion: ExpansionBudget;
  /** What the substs may search, shared likewise. */
  substBudget?: SubstBudget;
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

/** A define that (through others) uses itself, or defines nested deeper than the limit. */
export class DefineLoopError extends Error {}

/** Defines that add more text than the limits allow; `root` is the name used on the line. */
export class ExpansionTooLargeError extends Error {
  constructor(message: string, readonly root: string) { super(message); }
}

/** The characters defines may add: `line` to one line, `total` to all of them; `depth` of nesting. */
export class ExpansionBudget {
  used = 0;
  constructor(readonly line: number, readonly total: number, readonly depth: number) {}
}

/** The defines a value came from, innermost first. */
interface Lineage { name: string; parent: Lineage | null; depth: number }

interface Frame { text: string; pos: number; from: Lineage | null }

/**
 * The line as cfg.lex reads it: a define's value is pushed back in front of the rest (flex unput), so
 * it is read in place, joined to what follows. Each value is a frame on a stack, read in place rather
 * than spliced into a copy of the line, so a line costs what is read from it, however often a define
 * is used. Every frame on the stack has something left to read.
 */
class Stream {
  readonly #frames: Frame[];
  #top: Frame | undefined;
  /** Characters read from define values on this line, plus one per expansion (a value may be empty). */
  #added = 0;
  readonly #budget: ExpansionBudget;

  constructor(line: string, budget: ExpansionBudget) {
    this.#frames = line ? [{ text: line, pos: 0, from: null }] : [];
    this.#top = this.#frames[0];
    this.#budget = budget;
  }

  /** The character `k` ahead, or '' past the end. */
  peek(k = 0): string {
    const top = this.#top;
    if (top === undefined) return '';
    if (top.pos + k < top.text.length) return top.text[top.pos + k];
    k -= top.text.length - top.pos;
    for (let f = this.#frames.length - 2; f >= 0; f--) {
      const frame = this.#frames[f];
      if (frame.pos + k < frame.text.length) return frame.text[frame.pos + k];
      k -= frame.text.length - frame.pos;
    }
    return '';
  }

  /** Reads `n` characters (at most what is left). */
  take(n = 1): string {
    let out = '';
    while (n > 0 && this.#top !== undefined) {
      const top = this.#top;
      const k = Math.min(n, top.text.length - top.pos);
      out += k === 1 ? top.text[top.pos] : top.text.slice(top.pos, top.pos + k);
      top.pos += k;
      n -= k;
      if (top.from !== null) this.#charge(k, top.from);
      if (top.pos === top.text.length) this.#pop();
    }
    return out;
  }

  /** Reads while `test` accepts the next character. */
  takeWhile(test: (c: string) => boolean): string {
    let out = '';
    for (let c = this.peek(); c !== '' && test(c); c = this.peek()) {
      const top = this.#top!;
      let end = top.pos + 1;
      while (end < top.text.length && test(top.text[end])) end++;
      out += this.take(end - top.pos);
    }
    return out;
  }

  /** The defines the next character comes from, innermost first. */
  get lineage(): Lineage | null {
    return this.#top?.from ?? null;
  }

  /** Replaces the define `name` just read (from `from`) by its value, read next. */
  expand(name: string, value: string, from: Lineage | null): void {
    const limit = this.#budget.depth;
    for (let l = from; l !== null; l = l.parent) {
      if (l.name === name) throw new DefineLoopError(`"${name}" never stops expanding: its value uses it again (${chain(from, name)})`);
    }
    const depth = (from?.depth ?? 0) + 1;
    if (depth > limit) throw new DefineLoopError(`defines nested more than ${limit} deep (${chain(from, name)})`);
    const lineage = { name, parent: from, depth };
    this.#charge(1, lineage);
    if (value === '') return;
    this.#frames.push({ text: value, pos: 0, from: lineage });
    this.#top = this.#frames[this.#frames.length - 1];
  }

  #pop(): void {
    this.#frames.pop();
    this.#top = this.#frames[this.#frames.length - 1];
  }

  #charge(n: number, from: Lineage): void {
    this.#added += n;
    this.#budget.used += n;
    if (this.#added > this.#budget.line || this.#budget.used > this.#budget.total) {
      let root = from;
      while (root.parent !== null) root = root.parent;
      const what = this.#added > this.#budget.line ? `one line more than ${this.#budget.line} characters`
        : `the configuration more than ${this.#budget.total} characters in all`;
      throw new ExpansionTooLargeError(`defines add to ${what} (expanding "${root.name}")`, root.name);
    }
  }
}

/** "A -> B -> A", outermost first, long chains shortened in the middle. */
function chain(from: Lineage | null, last: string): string {
  const names: string[] = [last];
  for (let l = from; l !== null; l = l.parent) names.push(l.name);
  names.reverse();
  const shown = names.length <= 8 ? names : [...names.slice(0, 4), '...', ...names.slice(-3)];
  return shown.join(' -> ');
}

const isWordChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
const isSelectChar = (c: string) => isWordChar(c) || c === '.' || c === '[' || c === ']';

/**
 * Scans one line the way cfg.lex does in its INITIAL state: a defined ID is replaced by its value
 * and the value scanned again (so values may hold other IDs, strings or comments); `#` and `//` end the
 * line, block comments nest; pseudo-variables (`$...`) and selects (`@...`) keep their IDs. Double-quoted
 * strings that only blanks and line ends separate are one string (a comment, an ID or a single-quoted
 * string between them ends it), and the `#!subst` rules apply to that whole string, as in cfg.lex.
 * A `#!directive` after code is returned in `directive`. Linear in the text read, defines' values
 * included, which ctx.expansion bounds.
 */
export function scanLine(line: string, state: LexState, lineNo: number, ctx: ScanContext): ScannedLine {
  const s = new Stream(line, ctx.expansion);
  let out = '';
  const strings: string[] = [];
  let hasCode = false;
  let st = state;
  let joined: Joined | undefined;
  let joinLine = lineNo;
  if (st.kind === 'joined') { joined = st.joined; joinLine = st.line; st = { kind: 'code' }; }
  const flush = () => {
    if (!joined) return;
    out += emitString(joined, ctx, strings);
    hasCode = true;
    joined = undefined;
  };
  const closeString = (quote: string, raw: string, from: Joined | undefined, startLine: number) => {
    const value = decodeString(quote, raw);
    if (quote !== '"') { flush(); out += emitString({ value, literal: `'${raw}'` }, ctx, strings); hasCode = true; return; }
    // A literal over several lines goes out re-encoded, on one line.
    joined = from ? { value: from.value + value, literal: undefined } : { value, literal: raw.includes('\n') ? undefined : `"${raw}"` };
    joinLine = startLine;
  };

  for (let c = s.peek(); c !== ''; c = s.peek()) {
    if (st.kind === 'comment') {
      if (c === '/' && s.peek(1) === '*') { st = { ...st, depth: st.depth + 1 }; s.take(2); continue; }
      if (c === '*' && s.peek(1) === '/') {
        s.take(2);
        st = st.depth > 1 ? { ...st, depth: st.depth - 1 } : { kind: 'code' };
        if (st.kind === 'code') out += ' ';
        continue;
      }
      if (c === '/' || c === '*') s.take();
      else s.takeWhile((ch) => ch !== '/' && ch !== '*');
      continue;
    }
    if (st.kind === 'string') {
      // The tail of a string begun on an earlier line: its line end is part of it.
      const { body, closed } = readQuoted(s, st.quote);
      if (!closed) { st = { ...st, raw: st.raw + body + '\n' }; break; }
      const { quote, raw, joined: from, line: startLine } = st;
      st = { kind: 'code' };
      closeString(quote, raw + body, from, startLine);
      continue;
    }
    if (joined && c !== ' ' && c !== '\t' && c !== '\r' && c !== '"') flush();
    if (c === '/' && s.peek(1) === '*') { st = { kind: 'comment', depth: 1, line: lineNo }; s.take(2); continue; }
    if (c === '#' && s.peek(1) === '!') {
      let word = '';
      for (let k = 2; isWordChar(s.peek(k)); k++) word += s.peek(k);
      if (ctx.isDirective(word)) return { text: out, strings, hasCode, state: st, directive: s.takeWhile(() => true) };
    }
    if (c === '#' || (c === '/' && s.peek(1) === '/')) break;
    if (c === '"' || c === "'") {
      const from = c === '"' ? joined : undefined;
      joined = undefined;
      s.take();
      const { body, closed } = readQuoted(s, c);
      const startLine = from ? joinLine : lineNo;
      if (!closed) { st = { kind: 'string', quote: c, line: startLine, raw: body + '\n', joined: from }; break; }
      closeString(c, body, from, startLine);
      continue;
    }
    if (c === '$') {
      out += readPvar(s);
      hasCode = true;
      continue;
    }
    if (c === '@') {
      out += s.take() + s.takeWhile(isSelectChar);
      hasCode = true;
      continue;
    }
    if (isWordChar(c)) {
      const from = s.lineage;
      const w = s.takeWhile(isWordChar);
      const value = !(w[0] >= '0' && w[0] <= '9') ? ctx.lookup(w) : undefined;
      if (value !== undefined) {
        s.expand(w, value, from);
        continue;
      }
      out += w;
      hasCode = true;
      continue;
    }
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\b') hasCode = true;
    const taken = s.take();
    if (!joined) out += taken;
  }
  // A string at the end of the line waits: the next line may go on with another piece.
  if (joined) return { text: out, strings, hasCode, state: { kind: 'joined', line: joinLine, joined } };
  return { text: out, strings, hasCode, state: st };
}

/** The text of a pending joined string, for a caller that ends it (a directive line, the end of a file). */
export function endJoined(state: LexState, ctx: Pick<ScanContext, 'substs' | 'substBudget'>): { text: string; strings: string[] } | undefined {
  if (state.kind !== 'joined') return undefined;
  const strings: string[] = [];
  return { text: emitString(state.joined, ctx, strings), strings };
}

/**
 * After an opening quote: the string's body, and whether its closing quote (read, not returned) came
 * before the end of the line. Double-quoted strings take backslash escapes; single-quoted ones do not.
 */
function readQuoted(s: Stream, quote: string): { body: string; closed: boolean } {
  let body = '';
  for (;;) {
    body += s.takeWhile((c) => c !== quote && c !== '\\');
    const c = s.take();
    if (c === quote) return { body, closed: true };
    if (c === '') return { body, closed: false };
    body += c;
    if (quote === '"') body += s.take(); // the escaped character
  }
}

/** `$name`, `$name(...)` or `$(...)`, parentheses nested; `$?`, `$rc` and friends are just `$` + word. */
function readPvar(s: Stream): string {
  let out = s.take() + s.takeWhile((c) => isWordChar(c) || c === '.');
  if (s.peek() !== '(') return out;
  let depth = 0;
  for (let c = s.peek(); c !== ''; c = s.peek()) {
    out += s.take();
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) break;
  }
  return out;
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
function emitString(joined: Joined, ctx: Pick<ScanContext, 'substs' | 'substBudget'>, strings: string[]): string {
  const value = joined.value;
  let result = value;
  for (const rule of ctx.substs) result = rule.apply(result, ctx.substBudget);
  strings.push(result);
  if (result === value && joined.literal !== undefined) return joined.literal;
  return '"' + result.replace(/[\\"]/g, (ch) => '\\' + ch).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}
