/**
 * Kamailio's `/regexp/replacement/flags` expressions, as `#!subst`, `#!substdef` and `#!substdefs`
 * take them (core re.c: subst_parser, subst_run). The separator is the first character; the regexp
 * is POSIX extended, with `.` not matching a newline unless the `s` flag is given; `i` ignores case,
 * `g` replaces every match instead of the first. In the replacement, `\0`..`\9` are the matched
 * groups and `\n`, `\r`, `\t`, `\\` the usual characters.
 */
export interface SubstExpr {
  /** The expression as written. */
  readonly text: string;
  /** The regexp and the replacement exactly as written between the separators. */
  readonly regexText: string;
  readonly replacementText: string;
  /** Returns the input with the expression applied, or the same string when nothing matched. */
  apply(input: string): string;
}

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
  let flags = '';
  let global = false;
  let dotAll = false;
  for (const f of text.slice(replEnd + 1)) {
    if (f === 'i') flags += flags.includes('i') ? '' : 'i';
    else if (f === 's') dotAll = true;
    else if (f === 'g') global = true;
    else throw new Error(`unknown flag "${f}" in subst expression "${text}" (expected i, s or g)`);
  }
  // REG_NEWLINE (the default) makes ^ and $ match at line ends too; `s` turns it off.
  flags += dotAll ? 's' : 'm';
  let re: RegExp;
  try {
    re = new RegExp(posixToJs(regexText), flags + (global ? 'g' : ''));
  } catch (err) {
    throw new Error(`bad regular expression "${regexText}" in subst expression "${text}": ${(err as Error).message}`);
  }
  return {
    text, regexText, replacementText,
    apply(input: string): string {
      let empty = false;
      const out = input.replace(re, (...args: unknown[]) => {
        const match = args[0] as string;
        if (match === '') empty = true;
        const groups = args.slice(0, args.findIndex((a) => typeof a === 'number')) as (string | undefined)[];
        return parts.map((p) => (typeof p === 'string' ? p : groups[p.group] ?? '')).join('');
      });
      // Kamailio refuses an empty match ("invalid regexp?") and leaves the string as it was.
      return empty ? input : out;
    },
  };
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

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

/** POSIX bracket classes (`[[:digit:]]`) have no JS spelling; the rest of ERE reads the same. */
export function posixToJs(re: string): string {
  return re.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
}
