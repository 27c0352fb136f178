import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/** re2js, loaded on the first #!subst: most configs have none, and it takes a while to load. */
let re2js: typeof import('re2js') | undefined;
const engine = () => (re2js ??= createRequire(import.meta.url)('re2js') as typeof import('re2js'));

/**
 * Kamailio's `/regexp/replacement/flags` expressions, as `#!subst`, `#!substdef` and `#!substdefs`
 * take them (core re.c: subst_parser, subst_run). The separator is the first character; the regexp
 * is POSIX extended (regcomp REG_EXTENDED | REG_NEWLINE): `.` and `[^...]` do not match a newline
 * and `^`/`$` match at line ends unless the `s` flag is given; `i` ignores case, `g` replaces every
 * match instead of the first. In the replacement, `\0`..`\9` are the matched groups and `\n`, `\r`,
 * `\t`, `\\` the usual characters.
 *
 * glibc's regexec backtracks, and so would a JS RegExp: `(a+)+c` against 34 `a`s never returns. The
 * regexp runs on re2js (RE2, linear in the text) in leftmost-longest mode, the POSIX rule, so matches
 * are the ones Kamailio finds; {@link ereToRe2} turns the POSIX spelling into RE2's.
 */
export interface SubstExpr {
  /** The expression as written. */
  readonly text: string;
  /** The regexp and the replacement exactly as written between the separators. */
  readonly regexText: string;
  readonly replacementText: string;
  /**
   * Returns the input with the expression applied, or the same string when nothing matched.
   * Each search charges the text it may read to `budget`, which throws once it is spent.
   */
  apply(input: string, budget?: SubstBudget): string;
}

/**
 * Bounds the regexp work of a whole config. One search is linear in the text after where it starts
 * times the regexp's size, but with `g` each match starts a new search, and a longest match may read
 * to the end of the string to know it is the longest (`a|a[^x]*x`): n matches may read n²/2
 * characters. Each search is charged the characters after its start times the regexp's program size
 * (RE2 instructions), an upper bound of what it does.
 */
export class SubstBudget {
  #left: number;
  constructor(readonly limit: number) { this.#left = limit; }
  charge(chars: number, expr: SubstExpr): void {
    this.#left -= chars;
    if (this.#left < 0) throw new SubstBudgetError(expr, this.limit);
  }
}

export class SubstBudgetError extends Error {
  constructor(readonly expr: SubstExpr, readonly limit: number) {
    super(`#!subst "${expr.text}": the substitutions of this config searched more than ${limit} characters ` +
      '(times the regexp sizes; a "g" expression whose matches each read far ahead?)');
  }
}

/** The largest regexp program accepted (RE2 instructions): a search costs this much per character at worst. */
export const MAX_SUBST_PROGRAM = 2_000;

type Part = string | { group: number };

/** Throws an `Error` whose message says what is wrong; the caller adds the file and line. */
export function parseSubstExpr(text: string): SubstExpr {
  if (text.length < 3) throw new Error(`subst expression "${text}" is too short`);
  const sep = text[0];
  if (sep === '\\') throw new Error(`invalid separator "\\" in subst expression "${text}"`);
  const reEnd = findSeparator(text, 1, sep);
  if (reEnd < 0) throw new Error(`no separator "${sep}" after the regexp in subst expression "${text}"`);
  const regexText = text.slice(1, reEnd);
  const { parts, end: replEnd } = parseReplacement(text, reEnd + 1, sep);
  const replacementText = text.slice(reEnd + 1, replEnd);
  let ignoreCase = false;
  let global = false;
  let dotAll = false;
  for (const f of text.slice(replEnd + 1)) {
    if (f === 'i') ignoreCase = true;
    else if (f === 's') dotAll = true;
    else if (f === 'g') global = true;
    else throw new Error(`unknown flag "${f}" in subst expression "${text}" (expected i, s or g)`);
  }
  // REG_NEWLINE (the default) makes ^ and $ match at line ends too; `s` turns it off.
  const { RE2JS: Re } = engine();
  const flags = Re.LONGEST_MATCH | (dotAll ? Re.DOTALL : Re.MULTILINE) | (ignoreCase ? Re.CASE_INSENSITIVE : 0);
  let re: RE2JS;
  try {
    re = Re.compile(ereToRe2(regexText, !dotAll), flags);
  } catch (err) {
    throw new Error(`bad regular expression "${regexText}" in subst expression "${text}": ${(err as Error).message}`);
  }
  if (re.programSize() > MAX_SUBST_PROGRAM) {
    throw new Error(`regular expression "${regexText}" in subst expression "${text}" is too large ` +
      `(${re.programSize()} RE2 instructions, at most ${MAX_SUBST_PROGRAM})`);
  }
  const groups = re.groupCount();
  const size = re.programSize();
  const expr: SubstExpr = {
    text, regexText, replacementText,
    apply(input: string, budget?: SubstBudget): string {
      const m = re.matcher(input);
      let out = '';
      let copied = 0;
      let from = 0;
      do {
        budget?.charge((input.length - from + 1) * size, expr);
        if (!m.find(from)) break;
        const start = m.start();
        const end = m.end();
        // Kamailio refuses an empty match ("invalid regexp?") and leaves the string as it was.
        if (start === end) return input;
        out += input.slice(copied, start);
        for (const p of parts) out += typeof p === 'string' ? p : p.group <= groups ? m.group(p.group) ?? '' : '';
        copied = from = end;
      } while (global); // as subst_run: even at the end, where a regexp that matches "" fails the whole rule
      return copied === 0 ? input : out + input.slice(copied);
    },
  };
  return expr;
}

function findSeparator(text: string, from: number, sep: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === sep && text[i - 1] !== '\\') return i;
  }
  return -1;
}

function parseReplacement(text: string, from: number, sep: string): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let literal = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === sep) {
      if (literal) parts.push(literal);
      return { parts, end: i };
    }
    if (c === '$') {
      throw new Error(`pseudo-variables ("$...") in the replacement of subst expression "${text}" are not supported`);
    }
    if (c !== '\\') { literal += c; continue; }
    const e = text[++i];
    if (e === undefined) break;
    if (e >= '0' && e <= '9') {
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ group: Number(e) });
    } else {
      literal += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
    }
  }
  throw new Error(`no separator "${sep}" after the replacement in subst expression "${text}"`);
}

const POSIX_CLASSES = new Set(['alpha', 'digit', 'alnum', 'upper', 'lower', 'space', 'blank', 'punct', 'xdigit', 'cntrl', 'print', 'graph']);
/** Characters that mean something to RE2 outside a class: escaped when POSIX reads them as themselves. */
const RE2_SPECIAL = new Set([...'\\.+*?()|[]{}^$']);

/**
 * A POSIX extended regexp (glibc's dialect: GNU `\w \W \s \S \b \B` and `` \` `` `\'` included) in
 * RE2 syntax. What RE2 cannot run in linear time, or runs differently, is refused with the reason:
 * back-references (`\1`), `\<`/`\>`, equivalence classes and collating symbols of more than one
 * character. `newline` is REG_NEWLINE: negated lists do not match a newline.
 */
export function ereToRe2(re: string, newline: boolean): string {
  let out = '';
  // Where the last atom began in `out`, so that a repetition of a repetition (`a**`, `a+?`, which POSIX
  // allows and RE2 refuses or reads as lazy) can wrap it in a group; -1 where no atom precedes.
  let atom = -1;
  let repeated = false;
  const groups: number[] = [];
  const begin = () => { atom = out.length; repeated = false; };
  const repeat = (op: string) => {
    if (atom < 0) throw new Error(`"${op}" has nothing to repeat`);
    if (repeated) out = out.slice(0, atom) + '(?:' + out.slice(atom) + ')';
    out += op;
    repeated = true;
  };
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    switch (c) {
      case '\\': {
        const e = re[++i];
        if (e === undefined) throw new Error('trailing backslash');
        begin();
        if (e >= '1' && e <= '9') throw new Error(`back-reference "\\${e}" is not supported (it cannot be matched in linear time)`);
        if (e === '<' || e === '>') throw new Error(`"\\${e}" (start or end of a word) is not supported; use \\b`);
        if (e === '`') out += '\\A';
        else if (e === "'") out += '\\z';
        else if (e === 'W' && newline) out += '[^\\w\\n]';
        else if ('wWsSbB'.includes(e)) out += '\\' + e;
        else out += literal(e); // glibc: any other escaped character is itself (`\n` is "n")
        if (e === 'b' || e === 'B' || e === '`' || e === "'") atom = -1;
        break;
      }
      case '[': {
        begin();
        i = bracket(re, i, newline, (s) => { out += s; });
        break;
      }
      case '(':
        if (re[i + 1] === '?') throw new Error('"(?" is not POSIX syntax');
        groups.push(out.length);
        out += '(';
        atom = -1;
        break;
      case ')':
        if (groups.length === 0) { begin(); out += '\\)'; break; } // an unmatched ")" is itself in ERE
        atom = groups.pop()!;
        repeated = false;
        out += ')';
        break;
      case '|':
        out += '|';
        atom = -1;
        break;
      case '^': case '$':
        out += c;
        atom = -1;
        break;
      case '*': case '+': case '?':
        repeat(c);
        break;
      case '{': {
        const m = /^\{([0-9]*)(,([0-9]*))?\}/.exec(re.slice(i, i + 24));
        if (!m || (m[1] === '' && m[2] === undefined)) throw new Error(`invalid interval at "${re.slice(i, i + 12)}"`);
        repeat(`{${m[1] || '0'}${m[2] !== undefined ? ',' + m[3] : ''}}`);
        i += m[0].length - 1;
        break;
      }
      default:
        begin();
        out += c === '.' ? '.' : literal(c);
    }
  }
  return out;
}

function literal(c: string): string {
  return RE2_SPECIAL.has(c) ? '\\' + c : c;
}

/** Reads the bracket expression at re[i] ("["), writes it in RE2 syntax, and returns the index of its "]". */
function bracket(re: string, i: number, newline: boolean, write: (s: string) => void): number {
  let j = i + 1;
  let out = '[';
  const negated = re[j] === '^';
  if (negated) { out += '^'; j++; }
  let first = true;
  for (; j < re.length; j++) {
    const c = re[j];
    if (c === ']' && !first) {
      write(out + (negated && newline ? '\\n' : '') + ']');
      return j;
    }
    first = false;
    if (c === '[' && (re[j + 1] === ':' || re[j + 1] === '=' || re[j + 1] === '.')) {
      const kind = re[j + 1];
      const close = re.indexOf(kind + ']', j + 2);
      if (close < 0) throw new Error(`unterminated "[${kind}" in a bracket expression`);
      const name = re.slice(j + 2, close);
      if (kind === ':') {
        if (!POSIX_CLASSES.has(name)) throw new Error(`unknown character class "[:${name}:]"`);
        out += `[:${name}:]`;
      } else if ([...name].length === 1) {
        out += classLiteral(name); // [=a=] and [.a.] of one character are that character (C locale)
      } else {
        throw new Error(`"[${kind}${name}${kind}]" is not supported (only one-character collating elements)`);
      }
      j = close + 1;
      continue;
    }
    out += c === '-' ? '-' : classLiteral(c);
  }
  throw new Error('unterminated bracket expression "["');
}

/** In a POSIX list a backslash is itself; RE2 needs it, and "[", "]" and "^", escaped. */
function classLiteral(c: string): string {
  return c === '\\' || c === '[' || c === ']' || c === '^' ? '\\' + c : c;
}
