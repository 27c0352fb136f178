import { dirname, isAbsolute, join, resolve } from 'node:path';
import { RTimerConfigError } from '../errors.js';
import { describeValue } from './describe.js';
import { DefineLoopError, endJoined, ExpansionBudget, ExpansionTooLargeError, scanLine, type LexState, type ScanContext } from './cfg-line-scanner.js';
import { parseSubstExpr, SubstBudget, SubstBudgetError, type SubstExpr } from './subst-expr.js';
import { readConfigFile } from './config-file.js';
import { configLimits, excerpt, type ConfigLimits } from './limits.js';
import { kamailioRules, type KamailioRules } from './kamailio-version.js';

/**
 * Kamailio's configuration preprocessor (core cfg.lex + ppcfg.c), run the way Kamailio runs it, so
 * that only the lines Kamailio would parse reach our modparam reader.
 */

export interface PreprocessOptions {
  /** Name of the source, for errors and for includes relative to it. Default `<config>`. */
  file?: string;
  /** Defines given from outside, as `kamailio -A NAME` / `-A NAME=value`: a record (`true` = no value) or a list of `NAME[=value]`. */
  defines?: Readonly<Record<string, string | true>> | Iterable<string> | string;
  /** The environment `#!defenv` reads. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads an included file (absolute path); throws when it cannot. Default: a regular file of at most `limits.fileBytes`, as UTF-8. */
  readFile?: (path: string) => string;
  /** Bounds on what reading the configuration may cost (README: Limits); each omitted one keeps its default. */
  limits?: Partial<ConfigLimits>;
  /** Where Kamailio was started: relative includes are tried here first. Default `process.cwd()`. */
  cwd?: string;
  /**
   * The Kamailio version (`'X.Y'` or `'X.Y.Z'`) whose rules the text is read by: its predefined names
   * (`KAMAILIO_X`, `KAMAILIO_X_Y`, `KAMAILIO_X_Y_Z`; from 5.7 also `KAMAILIO_VERSION` and `OS_NAME`) and
   * its directives (before 5.7, `#!undef` and `#!ifexp`/`#!defexp` are comments). `false`: the default
   * version's rules without any predefined name. Default `'6.0.0'`.
   */
  kamailioVersion?: string | false;
}

export interface PreprocessedLine {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  /** What Kamailio's parser reads: defines expanded, `#!subst` applied, comments removed. */
  text: string;
  /** The line as written. */
  raw: string;
}

export interface PreprocessWarning { file: string; line: number; message: string }

export interface PreprocessResult {
  /** Every line outside a false `#!ifdef` branch that is not itself a directive, in reading order. */
  lines: PreprocessedLine[];
  /** The defines in force at the end, name → value (`undefined` for a define without a value). */
  defines: ReadonlyMap<string, string | undefined>;
  /** Every file read, the main one first. */
  files: string[];
  /** Lines Kamailio accepts but that probably do not do what was meant. */
  warnings: PreprocessWarning[];
}

/** cfg.lex MAX_INCLUDE_DEPTH: includes may nest this deep below the main file. */
export const MAX_INCLUDE_DEPTH = 10;

const ID = /^[A-Za-z_][A-Za-z0-9_]*/;
const BARE_INCLUDE = /^[ \t\b\r]*(include_file|import_file)(?![A-Za-z0-9_])(.*)$/;
const BLANK = /^[ \t\b\r]*$/;
const LEADING_BLANKS = /^[ \t\b\r]+/;

interface Define { value: string | undefined; where: string }
interface Frame { live: boolean; directive: string; file: string; line: number }
/** A file being read: its name as Kamailio would print it, and the includes that led to it. */
interface Source { file: string; abs: string; depth: number; chain: string[]; absChain: string[] }

const DIRECTIVES = new Map<string, string>([
  ['define', 'define'], ['def', 'define'], ['trydefine', 'trydef'], ['trydef', 'trydef'],
  ['redefine', 'redefine'], ['redef', 'redefine'], ['undefine', 'undefine'], ['undef', 'undefine'],
  ['tryundefine', 'tryundefine'], ['tryundef', 'tryundefine'],
  ['ifdef', 'ifdef'], ['ifndef', 'ifndef'], ['ifexp', 'ifexp'], ['else', 'else'], ['endif', 'endif'],
  ['defenv', 'defenv'], ['defenvs', 'defenvs'], ['trydefenv', 'trydefenv'], ['trydefenvs', 'trydefenvs'],
  ['subst', 'subst'], ['substdef', 'substdef'], ['substdefs', 'substdefs'],
  ['defexp', 'defexp'], ['defexps', 'defexp'],
  ['include_file', 'include_file'], ['import_file', 'import_file'],
]);
/** `#!KAMAILIO` and friends pick the config flavour; for us they are comments, as for the parser. */
const FLAVOURS = new Set(['KAMAILIO', 'OPENSER', 'SER', 'MAXCOMPAT', 'ALL']);

/** Reads the config file at `path` (through `options.readFile`) and preprocesses it. */
export function preprocessFile(path: string, options: Omit<PreprocessOptions, 'file'> = {}): PreprocessResult {
  const cwd = options.cwd ?? process.cwd();
  const fileBytes = configLimits(options.limits).fileBytes;
  const read = options.readFile ?? ((p: string) => readConfigText(p, fileBytes));
  let text: string;
  try {
    text = read(resolve(cwd, path));
  } catch (err) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_READ', `cannot read config "${path}": ${(err as Error).message}`, { text: path });
  }
  return preprocess(text, { ...options, file: path });
}

/** Preprocesses config text; `options.file` names it. */
export function preprocess(source: string, options: PreprocessOptions = {}): PreprocessResult {
  return new Preprocessor(options).run(source);
}

class Preprocessor {
  readonly #opts: PreprocessOptions;
  readonly #cwd: string;
  readonly #readFile: (path: string) => string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #defines = new Map<string, Define>();
  readonly #substs: SubstExpr[] = [];
  // One stack for all files, as in Kamailio: an #!ifdef may be closed by a file that includes it.
  readonly #frames: Frame[] = [];
  /** How many of #frames are false: a line is live when none is (counted, not searched, for each line). */
  #dead = 0;
  readonly #limits: ConfigLimits;
  /** Files and bytes read so far, the main file included. */
  #read = { files: 0, bytes: 0 };
  readonly #lines: PreprocessedLine[] = [];
  readonly #warnings: PreprocessWarning[] = [];
  readonly #files: string[] = [];
  readonly #scan: ScanContext;
  readonly #rules: KamailioRules;

  constructor(options: PreprocessOptions) {
    this.#opts = options;
    this.#rules = kamailioRules(options.kamailioVersion === false ? undefined : options.kamailioVersion);
    this.#limits = configLimits(options.limits);
    const fileBytes = this.#limits.fileBytes;
    this.#cwd = options.cwd ?? process.cwd();
    this.#readFile = options.readFile ?? ((path) => readConfigText(path, fileBytes));
    this.#env = options.env ?? process.env;
    const defines = this.#defines;
    this.#scan = {
      lookup: (name) => { const d = defines.get(name); return d ? d.value ?? '' : undefined; },
      substs: this.#substs,
      expansion: new ExpansionBudget(this.#limits.lineExpansion, this.#limits.expansion, this.#limits.defineDepth),
      substBudget: new SubstBudget(this.#limits.substSearch),
      isDirective: (word) => this.#isDirective(word),
    };
  }

  run(source: string): PreprocessResult {
    this.#predefine();
    const file = this.#opts.file ?? '<config>';
    const abs = this.#opts.file !== undefined ? resolve(this.#cwd, file) : '<config>';
    this.#count(source, file);
    this.#file(source, { file, abs, depth: 0, chain: [file], absChain: [abs] });
    const open = this.#frames[this.#frames.length - 1];
    if (open) {
      throw fail(`#!${open.directive} is never closed: missing #!endif before the end of ${file}`, open.file, open.line);
    }
    const defines = new Map<string, string | undefined>();
    for (const [name, d] of this.#defines) defines.set(name, d.value);
    return { lines: this.#lines, defines, files: this.#files, warnings: this.#warnings };
  }

  #predefine(): void {
    if (this.#opts.kamailioVersion !== false) {
      const { major: x, minor: y, patch: z, versionDefines } = this.#rules;
      const core = `Kamailio ${this.#rules.version} core`;
      for (const name of [`KAMAILIO_${x}`, `KAMAILIO_${x}_${y}`, `KAMAILIO_${x}_${y}_${z}`]) this.#set(name, undefined, core);
      if (versionDefines) {
        this.#set('KAMAILIO_VERSION', String(x * 1_000_000 + y * 1000 + z), core);
        this.#set('OS_NAME', `"${process.platform}"`, core);
      }
    }
    for (const [name, value] of this.#givenDefines()) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_PREPROCESS',
          `define "${name}" given from outside is not a name (letters, digits and _, not starting with a digit)`, { text: name });
      }
      if (this.#defines.has(name)) {
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_PREPROCESS',
          `define "${name}" given from outside is already defined (${this.#defines.get(name)!.where})`, { text: name });
      }
      this.#set(name, value === '' ? undefined : value, 'given from outside');
    }
  }

  /** `options.defines` as name/value pairs; anything but strings, a list of them or a record of them is refused. */
  #givenDefines(): [string, string | undefined][] {
    const given: unknown = this.#opts.defines;
    const bad = (what: unknown): never => {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_PREPROCESS',
        `defines: expected "NAME[=value]" strings, a list of them or a record of NAME to a string or true, got ${describeValue(what)}`,
        { text: describeValue(what) });
    };
    if (given === undefined || given === null) return [];
    try {
      if (typeof given === 'string' || (typeof given === 'object' && Symbol.iterator in given)) {
        const list = typeof given === 'string' ? [given] : [...(given as Iterable<unknown>)];
        return list.map((d) => {
          if (typeof d !== 'string') bad(d);
          const text = d as string;
          const eq = text.indexOf('=');
          return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
        });
      }
      if (typeof given !== 'object') bad(given);
      return Object.entries(given as Record<string, unknown>).map(([k, v]) => {
        if (v !== true && typeof v !== 'string') bad(v);
        return [k, v === true ? undefined : v as string];
      });
    } catch (err) {
      if (err instanceof RTimerConfigError) throw err;
      return bad(given); // a throwing iterator or getter
    }
  }

  #set(name: string, value: string | undefined, where: string): void {
    this.#defines.set(name, { value, where });
  }

  get #live(): boolean {
    return this.#dead === 0;
  }

  #push(frame: Frame): void {
    this.#frames.push(frame);
    if (!frame.live) this.#dead++;
  }

  /** Counts a file read against limits.files and limits.readBytes; `from` names the including line. */
  #count(text: string, name: string, from?: { file: string; line: number }): void {
    const read = this.#read;
    read.files++;
    read.bytes += Buffer.byteLength(text);
    if (read.files > this.#limits.files) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_INCLUDE',
        `more than ${this.#limits.files} files read (limits.files): "${name}" is one too many`, { ...from, text: name });
    }
    if (read.bytes > this.#limits.readBytes) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE',
        `more than ${this.#limits.readBytes} bytes read in all (limits.readBytes), with "${name}"`, { ...from, text: name });
    }
  }

  #file(text: string, src: Source): void {
    this.#files.push(src.file);
    const split = text.split('\n');
    // A CR before the line end is a blank to the lexer, but not to a \ that continues a #!define.
    const crlf = split.map((l) => l.endsWith('\r'));
    const lines = split.map((l, i) => (crlf[i] ? l.slice(0, -1) : l));
    if (lines[lines.length - 1] === '') lines.pop(); // the newline that ends the last line
    let state: LexState = { kind: 'code' };
    for (let n = 0; n < lines.length; n++) {
      const raw = lines[n];
      const lineNo = n + 1;
      if (!this.#live) {
        this.#skipped(raw, src.file, lineNo);
        continue;
      }
      // A string at the end of the last line ends there unless this line goes on with another piece.
      if (state.kind === 'joined' && !/^[ \t\r\b]*("|$)/.test(raw)) state = this.#endJoined(state, src.file);
      if (state.kind === 'code') {
        const consumed = this.#directive(raw, lines, n, src, crlf);
        if (consumed !== undefined) { n += consumed; continue; }
      }
      const scanned = this.#code(raw, state, src.file, lineNo);
      state = scanned.state;
      if (scanned.directive !== undefined) n += this.#directive(scanned.directive, lines, n, src, crlf) ?? 0;
    }
    state = this.#endJoined(state, src.file);
    if (state.kind === 'comment') throw syntaxError('unterminated /* comment', src.file, state.line);
    if (state.kind === 'string') throw syntaxError(`unterminated ${state.quote} string`, src.file, state.line);
  }

  /** Ends a joined string that no further piece continues: it goes out at the end of the last line read. */
  #endJoined(state: LexState, file: string): LexState {
    if (state.kind !== 'joined') return state;
    const ended = this.#orFail(() => endJoined(state, this.#scan)!, state.joined.value, file, state.line);
    const last = this.#lines[this.#lines.length - 1];
    if (last && last.file === file) last.text += ended.text;
    else this.#lines.push({ file, line: state.line, text: ended.text, raw: '' });
    return { kind: 'code' };
  }

  #isDirective(word: string): boolean {
    const kind = DIRECTIVES.get(word);
    if (kind === undefined) return false;
    if (!this.#rules.undefine && (kind === 'undefine' || kind === 'tryundefine')) return false;
    if (!this.#rules.expressions && (kind === 'ifexp' || kind === 'defexp')) return false;
    return true;
  }

  #code(raw: string, state: LexState, file: string, line: number): { state: LexState; directive?: string } {
    const scanned = this.#scanOrFail(raw, state, file, line);
    this.#lines.push({ file, line, text: scanned.text, raw });
    // Modules define MOD_<name> as they load (Core Cookbook: "MOD_X - when module X has been loaded").
    const loaded = [...scanned.text.matchAll(/\bloadmodulex?\s*("([^"]*)"|'([^']*)')/g)].map((m) => m[2] ?? m[3]);
    // A double-quoted name at the end of the line waits in the state, in case the next line continues it.
    if (scanned.state.kind === 'joined' && /\bloadmodulex?\s*$/.test(scanned.text)) loaded.push(scanned.state.joined.value);
    for (const path of loaded) {
      const name = path.replace(/^.*\//, '').replace(/\.so$/, '');
      if (name && !this.#defines.has(`MOD_${name}`)) this.#set(`MOD_${name}`, undefined, `loadmodule at ${file}:${line}`);
    }
    return { state: scanned.state, directive: scanned.directive };
  }

  #scanOrFail(raw: string, state: LexState, file: string, line: number) {
    return this.#orFail(() => scanLine(raw, state, line, this.#scan), raw, file, line);
  }

  /** Runs a scan; what it refuses becomes an RTimerConfigError naming the file and line. */
  #orFail<T>(scan: () => T, raw: string, file: string, line: number): T {
    try {
      return scan();
    } catch (err) {
      if (err instanceof DefineLoopError) throw fail(err.message, file, line, excerpt(raw));
      if (err instanceof ExpansionTooLargeError) {
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE', `${err.message} (limits.lineExpansion, limits.expansion)`,
          { file, line, text: err.root });
      }
      if (err instanceof SubstBudgetError) {
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE', `${err.message} (limits.substSearch)`, { file, line, text: err.expr.text });
      }
      throw err;
    }
  }

  /** In a false branch only the nesting directives count, as in cfg.lex's IFDEF_SKIP state. */
  #skipped(raw: string, file: string, line: number): void {
    const d = splitDirective(raw);
    if (!d) return;
    const kind = this.#isDirective(d.word) ? DIRECTIVES.get(d.word) : undefined;
    if (kind === 'ifdef' || kind === 'ifndef' || kind === 'ifexp') {
      const name = kind === 'ifexp' ? d.rest.trim() : this.#ifdefName(d, kind, file, line);
      this.#push({ live: false, directive: `${kind} ${name}`, file, line });
    } else if (kind === 'else' || kind === 'endif') {
      this.#elseEndif(kind, d, file, line);
    }
  }

  /**
   * Handles a directive or include line in a live branch; returns how many following lines it used
   * (a `#!define` value continued with `\`), or undefined when the line is not a directive.
   */
  #directive(raw: string, lines: string[], n: number, src: Source, crlf: boolean[]): number | undefined {
    const file = src.file;
    const line = n + 1;
    const bare = BARE_INCLUDE.exec(raw);
    if (bare) { this.#include(bare[1] === 'import_file', bare[2], src, line, raw); return 0; }
    const d = splitDirective(raw);
    if (!d) return undefined;
    const kind = DIRECTIVES.get(d.word);
    if (kind && !this.#isDirective(d.word)) {
      this.#warn(file, line, `Kamailio ${this.#rules.version} has no #!${d.word}: it reads this line as a comment`);
      return 0;
    }
    if (!kind) {
      if (d.prefix === '!!') return undefined; // `!!x` is code (two "not"s), which Kamailio's parser judges
      if (!FLAVOURS.has(d.word) || !BLANK.test(d.rest)) {
        this.#warn(file, line, `"#!${d.word}" is not a preprocessor directive: Kamailio reads this line as a comment`);
      }
      return 0;
    }
    switch (kind) {
      case 'define': case 'trydef': case 'redefine':
        return this.#define(kind, d, lines, n, file, crlf);
      case 'undefine': case 'tryundefine': {
        const name = this.#directiveName(d, kind, file, line);
        if (!this.#defines.delete(name) && kind === 'undefine') {
          throw fail(`#!undefine ${name}: "${name}" is not defined`, file, line, raw.trim());
        }
        return 0;
      }
      case 'ifdef': case 'ifndef': {
        const name = this.#ifdefName(d, kind, file, line);
        const defined = this.#defines.has(name);
        this.#push({ live: kind === 'ifdef' ? defined : !defined, directive: `${kind} ${name}`, file, line });
        return 0;
      }
      case 'else': case 'endif':
        this.#elseEndif(kind, d, file, line);
        return 0;
      case 'defenv': case 'defenvs': case 'trydefenv': case 'trydefenvs':
        this.#defenv(kind, d, file, line);
        return 0;
      case 'subst': case 'substdef': case 'substdefs':
        this.#subst(kind, d, file, line);
        return 0;
      case 'include_file': case 'import_file':
        this.#include(kind === 'import_file', d.rest, src, line, raw);
        return 0;
      default: // ifexp, defexp
        throw fail(`#!${d.word} (an snexpr expression) is not supported by node-rtimer; use #!ifdef / #!define`, file, line, raw.trim());
    }
  }

  #define(kind: string, d: Directive, lines: string[], n: number, file: string, crlf: boolean[]): number {
    const line = n + 1;
    const name = this.#directiveName(d, kind, file, line);
    // Everything after the name and its blanks is the value, to the end of the line; a
    // backslash at the end of the line continues it on the next one.
    const pieces = [d.rest.replace(LEADING_BLANKS, '').slice(name.length).replace(LEADING_BLANKS, '')];
    let used = 0;
    while (pieces[used].endsWith('\\') && n + used + 1 < lines.length) {
      if (crlf[n + used]) {
        throw fail(`#!${d.word} ${name}: the "\\" that continues its value is followed by CRLF; Kamailio continues a define only `
          + 'over a LF line end and reads the next line as code', file, n + used + 1, d.text.trim());
      }
      pieces[used] = pieces[used].slice(0, -1);
      used++;
      pieces.push(lines[n + used]);
    }
    const value = pieces.join('');
    const prior = this.#defines.get(name);
    if (prior && kind === 'trydef') return used;
    if (prior && kind === 'define') {
      throw fail(`#!define ${name}: "${name}" is already defined (${prior.where}); use #!redefine or #!trydef`, file, line, name);
    }
    this.#set(name, value === '' ? undefined : value, `${file}:${line}`);
    return used;
  }

  /** The ID after define/undefine: cfg.lex stops a name at the first non-ID character and refuses a "-". */
  #directiveName(d: Directive, kind: string, file: string, line: number): string {
    if (!LEADING_BLANKS.test(d.rest)) throw fail(`#!${d.word} needs a name after it`, file, line, d.text);
    const body = d.rest.replace(LEADING_BLANKS, '');
    const m = ID.exec(body);
    if (!m) throw fail(`#!${d.word} needs a name (letters, digits and _, not starting with a digit), found "${body}"`, file, line, d.text);
    if (body[m[0].length] === '-') throw fail(`#!${d.word} ${m[0]}-...: "-" is not allowed in a name`, file, line, d.text);
    if ((kind === 'undefine' || kind === 'tryundefine') && !BLANK.test(body.slice(m[0].length))) {
      throw fail(`unexpected text after #!${d.word} ${m[0]}`, file, line, d.text);
    }
    return m[0];
  }

  #ifdefName(d: Directive, kind: string, file: string, line: number): string {
    const name = this.#directiveName(d, kind, file, line);
    const after = d.rest.replace(LEADING_BLANKS, '').slice(name.length);
    if (!BLANK.test(after)) {
      // cfg.lex echoes such text and carries on; say so rather than stop.
      this.#warn(file, line, `text after "#!${d.word} ${name}" is ignored: "${after.trim()}"`);
    }
    return name;
  }

  #elseEndif(kind: 'else' | 'endif', d: Directive, file: string, line: number): void {
    if (!BLANK.test(d.rest)) {
      // cfg.lex only takes "#!endif" alone on its line; with anything after it the line is a
      // comment and the block stays open, which Kamailio reports only at the end.
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MISREAD', `#!${d.word} must be alone on its line: Kamailio reads `
        + `"${d.text.trim()}" as a comment, so the branch ${kind === 'else' ? 'does not flip' : 'stays open'}`, { file, line, text: d.text.trim() });
    }
    const top = this.#frames[this.#frames.length - 1];
    if (!top) {
      if (kind === 'endif') throw fail('#!endif without a matching #!ifdef or #!ifndef', file, line, d.text.trim());
      this.#warn(file, line, '#!else without a matching #!ifdef or #!ifndef is ignored');
      return;
    }
    if (kind === 'endif') { if (!this.#frames.pop()!.live) this.#dead--; return; }
    // Kamailio flips the branch on every #!else, so a second one flips it back.
    top.live = !top.live;
    this.#dead += top.live ? -1 : 1;
  }

  #defenv(kind: string, d: Directive, file: string, line: number): void {
    const body = d.rest.replace(/^[ \t]+/, '');
    const token = /^[^ \t\r\n]+/.exec(body)?.[0];
    if (!token) throw fail(`#!${d.word} needs ENVVAR or NAME=ENVVAR`, file, line, d.text.trim());
    this.#trailing(body.slice(token.length), d, file, line);
    const eq = token.indexOf('=');
    const name = eq < 0 ? token : token.slice(0, eq);
    const envName = eq < 0 ? token : token.slice(eq + 1);
    if (!envName || !name) throw fail(`#!${d.word} ${token}: expected ENVVAR or NAME=ENVVAR`, file, line, token);
    const value = this.#env[envName];
    if (value === undefined) {
      if (kind.startsWith('try')) return;
      throw fail(`#!${d.word} ${token}: environment variable "${envName}" is not set`, file, line, token);
    }
    const prior = this.#defines.get(name);
    if (prior) throw fail(`#!${d.word} ${token}: "${name}" is already defined (${prior.where})`, file, line, token);
    // defenvs quotes the value as it is, without escaping, as ppcfg.c pp_def_qvalue does.
    const quoted = kind.endsWith('s') ? `"${value}"` : value;
    this.#set(name, quoted === '' ? undefined : quoted, `${file}:${line}`);
  }

  #subst(kind: string, d: Directive, file: string, line: number): void {
    // The parser takes the next token, a string; it may come from a define and is itself subst'ed.
    const scanned = this.#scanOrFail(d.rest, { kind: 'code' }, file, line);
    const ended = this.#orFail(() => endJoined(scanned.state, this.#scan), d.rest, file, line);
    if (ended) scanned.strings.push(...ended.strings);
    if (scanned.strings.length !== 1 || scanned.hasCode || (scanned.state.kind !== 'code' && !ended)) {
      throw fail(`#!${d.word} takes one quoted expression, as in #!${d.word} "/regexp/replacement/flags"`, file, line, d.text.trim());
    }
    const text = scanned.strings[0];
    let expr: SubstExpr;
    try {
      expr = parseSubstExpr(text);
    } catch (err) {
      throw fail(`#!${d.word}: ${(err as Error).message}`, file, line, text);
    }
    this.#substs.push(expr);
    if (kind === 'subst') return;
    // substdef also defines the regexp text as an ID whose value is the replacement text.
    const name = expr.regexText;
    const prior = this.#defines.get(name);
    if (prior) throw fail(`#!${d.word}: "${name}" is already defined (${prior.where})`, file, line, text);
    if (expr.replacementText.includes('$')) {
      this.#warn(file, line, `pseudo-variables in the #!${d.word} value are not evaluated: "${expr.replacementText}"`);
    }
    const value = kind === 'substdefs' ? `"${expr.replacementText}"` : expr.replacementText;
    this.#set(name, value === '' ? undefined : value, `${file}:${line}`);
  }

  #include(optional: boolean, rest: string, src: Source, line: number, raw: string): void {
    const what = optional ? 'import_file' : 'include_file';
    const body = rest.replace(/^[ \t]+/, '');
    let token = /^[^ \t\r\n]+/.exec(body)?.[0];
    if (!token) throw failInclude(`${what} needs a file name in double quotes`, src.file, line, raw.trim());
    this.#trailing(body.slice(token.length), { word: what, text: raw }, src.file, line);
    // cfg.lex runs the substs over the raw token, quotes included, before reading the name.
    try {
      for (const rule of this.#substs) token = rule.apply(token, this.#scan.substBudget);
    } catch (err) {
      if (err instanceof SubstBudgetError) {
        throw new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE', `${err.message} (limits.substSearch)`, { file: src.file, line, text: err.expr.text });
      }
      throw err;
    }
    if (token.length < 3 || !token.startsWith('"') || !token.endsWith('"')) {
      throw failInclude(`${what} ${token}: the file name must be between double quotes`, src.file, line, token);
    }
    const name = token.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    // Kamailio tries the name as given (from where it was started), then next to the including file.
    const candidates = isAbsolute(name) ? [name]
      : src.abs === '<config>' ? [name] : [name, join(dirname(src.file), name)];
    for (const candidate of candidates) {
      const abs = resolve(this.#cwd, candidate);
      let text: string;
      try {
        text = this.#readFile(abs);
      } catch (err) {
        // A file that is there but not text (or not a regular file, or too large) is no reason to try
        // the next place (or, for import_file, to go on without it).
        if (err instanceof RTimerConfigError && (err.code === 'ERR_RTIMER_CONFIG_NOT_FILE' || err.code === 'ERR_RTIMER_CONFIG_TOO_LARGE')) {
          throw new RTimerConfigError(err.code, `${what} "${name}": ${err.reason}`, { file: src.file, line, text: name });
        }
        if (err instanceof RTimerConfigError) throw err;
        continue;
      }
      this.#count(text, candidate, { file: src.file, line });
      const cycle = src.absChain.indexOf(abs);
      if (cycle >= 0) {
        throw failInclude(`include cycle: ${[...src.chain.slice(cycle), candidate].join(' -> ')}`, src.file, line, name);
      }
      if (src.depth >= MAX_INCLUDE_DEPTH) {
        throw failInclude(`too many nested includes (Kamailio allows ${MAX_INCLUDE_DEPTH}): ${[...src.chain, candidate].join(' -> ')}`,
          src.file, line, name);
      }
      this.#file(text, {
        file: candidate, abs, depth: src.depth + 1, chain: [...src.chain, candidate], absChain: [...src.absChain, abs],
      });
      return;
    }
    if (!optional) {
      const tried = candidates.map((c) => resolve(this.#cwd, c)).join(', ');
      throw failInclude(`include_file "${name}": file not found (tried ${tried})`, src.file, line, name);
    }
  }

  #trailing(after: string, d: Pick<Directive, 'word' | 'text'>, file: string, line: number): void {
    const rest = after.replace(/^[ \t\r]+/, '');
    if (rest && !rest.startsWith('#') && !rest.startsWith('//')) {
      throw fail(`unexpected text after ${d.word}: "${rest}"`, file, line, d.text.trim());
    }
  }

  #warn(file: string, line: number, message: string): void {
    this.#warnings.push({ file, line, message });
  }
}

interface Directive { prefix: '#!' | '!!'; word: string; rest: string; text: string }

function splitDirective(raw: string): Directive | undefined {
  const m = /^[ \t\b\r]*(#!|!!)([A-Za-z_]+)(.*)$/.exec(raw);
  return m ? { prefix: m[1] as '#!' | '!!', word: m[2], rest: m[3], text: raw } : undefined;
}

function readConfigText(path: string, maxBytes: number): string {
  return readConfigFile(path, maxBytes).toString('utf8');
}

function fail(reason: string, file: string, line: number, text?: string): RTimerConfigError {
  return new RTimerConfigError('ERR_RTIMER_CONFIG_PREPROCESS', reason, { file, line, text });
}

function failInclude(reason: string, file: string, line: number, text?: string): RTimerConfigError {
  return new RTimerConfigError('ERR_RTIMER_CONFIG_INCLUDE', reason, { file, line, text });
}

function syntaxError(reason: string, file: string, line: number): RTimerConfigError {
  return new RTimerConfigError('ERR_RTIMER_CONFIG_SYNTAX', reason, { file, line });
}
