import { fileURLToPath } from 'node:url';
import { RTimerConfigError } from '../errors.js';
import { RTimerConfig } from './config.js';
import { describeValue } from './describe.js';
import type { Where } from './param.js';
import { preprocess, type PreprocessOptions, type PreprocessWarning, type PreprocessedLine } from './preprocess.js';
import { PtimerReader } from './ptimer.js';
import { readConfigFile } from './config-file.js';
import { decodeString } from './cfg-line-scanner.js';
import { kamailioRules, type KamailioRules } from './kamailio-version.js';
import { kamailioExecSpec, kamailioTimerSpec } from './kamailio-param.js';
import { ereToRe2 } from './subst-expr.js';
import { RE2JS } from 're2js';
import { configLimits, type ConfigLimits } from './limits.js';

/** `line` is the 1-based index of the preprocessed line the token starts on. */
interface Token { kind: 'word' | 'string' | 'number' | 'punct'; value: string; line: number }

export interface KamailioConfigOptions {
  /** A configuration to add to, e.g. one holding timers declared through the API. */
  into?: RTimerConfig;
  /**
   * Defines given from outside, as `kamailio -A NAME` / `-A NAME=value`: a list of `NAME[=value]`, or a
   * record (`true` for a define without a value). They decide the `#!ifdef` branches read.
   */
  defines?: PreprocessOptions['defines'];
  /** The environment `#!defenv` reads. Default `process.env`. */
  env?: PreprocessOptions['env'];
  /** Called for each line Kamailio accepts but that probably does not do what was meant. */
  onWarning?: (warning: PreprocessWarning) => void;
  /**
   * The Kamailio version (`'X.Y'` or `'X.Y.Z'`) whose rules the file is read by: predefined names,
   * directives, modules (5.6 has no ptimer). Default `'6.0.0'`. See preprocess().
   */
  kamailioVersion?: string;
  /** Bounds on what reading the configuration may cost (README: Limits); each omitted one keeps its default. */
  limits?: Partial<ConfigLimits>;
}

export interface ParseKamailioOptions extends KamailioConfigOptions {
  /** The file the text came from, for error messages and for the includes relative to it. */
  file?: string;
}

/**
 * Reads the rtimer and ptimer `modparam` lines of a kamailio.cfg file, given by path or file URL, after
 * Kamailio's preprocessor (`#!ifdef` branches, `#!define`s, `#!subst`s, `include_file`/`import_file`).
 * The argument is always a file: configuration text goes to `parseKamailioConfig`. A missing or
 * unreadable file, NUL bytes and invalid UTF-8 are `RTimerConfigError`s naming the file (and the line).
 * `loadKamailioConfig(path, into)`, the 0.1 form, still works.
 */
export function loadKamailioConfig(source: string | URL, options: KamailioConfigOptions | RTimerConfig = {}): RTimerConfig {
  const opts: KamailioConfigOptions = options instanceof RTimerConfig ? { into: options }
    : options !== null && typeof options === 'object' ? options : {};
  let file: string;
  try {
    file = source instanceof URL ? fileURLToPath(source) : String(source);
    if (typeof source !== 'string' && !(source instanceof URL)) throw new TypeError('expected a path or a file URL');
    if (file === '') throw new TypeError('empty path');
  } catch (err) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_PATH', `invalid config path ${describeValue(source)}: ${(err as Error).message}`,
      { text: describeValue(source) });
  }
  const { fileBytes } = configLimits(opts.limits);
  let bytes: Buffer;
  try {
    bytes = readConfigFile(file, fileBytes);
  } catch (err) {
    if (err instanceof RTimerConfigError) throw new RTimerConfigError(err.code, `cannot read config "${file}": ${err.reason}`, { text: file, file });
    const hint = /[\n]|modparam/.test(file) ? ' (to parse configuration text, use parseKamailioConfig)' : '';
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_READ', `cannot read config "${file}": ${(err as Error).message}${hint}`,
      { text: file, file });
  }
  return parseKamailioConfig(decodeConfig(bytes, file), { ...opts, file });
}

/**
 * Parses kamailio.cfg text (never a path): the rtimer and ptimer `modparam` lines of the branches
 * Kamailio's preprocessor keeps; other modules' lines are ignored. The text's own `include_file` and
 * `import_file` lines are the only reads from disk: relative to `options.file` (or the working
 * directory), regular files only, each at most `limits.fileBytes`. `parseKamailioConfig(text, file, into)`, the 0.1 form, still works.
 */
export function parseKamailioConfig(text: string, options?: ParseKamailioOptions | string, legacyInto?: RTimerConfig): RTimerConfig {
  const opts: ParseKamailioOptions = typeof options === 'string' ? { file: options, into: legacyInto }
    : options !== null && typeof options === 'object' ? options : { into: legacyInto };
  const file = typeof opts.file === 'string' ? opts.file : undefined;
  const into = opts.into ?? new RTimerConfig();
  if (!(into instanceof RTimerConfig)) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT', `options.into must be an RTimerConfig, got ${describeValue(into)}`,
      { file, text: describeValue(into) });
  }
  if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT', `options.onWarning must be a function, got ${describeValue(opts.onWarning)}`,
      { file, text: describeValue(opts.onWarning) });
  }
  if (typeof text !== 'string') {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT',
      `parseKamailioConfig expects the configuration text as a string, got ${describeValue(text)} (for a file, use loadKamailioConfig)`,
      { file, text: describeValue(text) });
  }
  checkText(text, file);
  const rules = kamailioRules(opts.kamailioVersion);
  const { fileBytes } = configLimits(opts.limits);
  const pre = preprocess(text, {
    file, defines: opts.defines, env: opts.env, limits: opts.limits, readFile: (path) => readIncluded(path, fileBytes),
    kamailioVersion: rules.version,
  });
  for (const w of pre.warnings) opts.onWarning?.(w);
  // Errors name the file each line came from: the main one, or an included one.
  const lines = pre.lines;
  const at = (line: number): Where => {
    const l: PreprocessedLine | undefined = lines[line - 1] ?? lines[lines.length - 1];
    return l ? { file: file === undefined && l.file === '<config>' ? undefined : l.file, line: l.line } : { file, line: 1 };
  };
  const tokens = tokenize(lines.map((l) => l.text).join('\n'), at);
  new ModparamReader(into, rules, opts.env ?? process.env, at).read(tokens);
  into.resolve();
  return into;
}

/**
 * The loadmodule and modparam lines, in order, as Kamailio's core applies them: a module is loaded once,
 * a modparam's module name is a case-insensitive regexp that must match a module loaded before it, and
 * the parameter name and value type must be the module's. rtimer's parameters are read as rtimer_mod.c
 * reads them (an exec finds its timer when it is read).
 */
class ModparamReader {
  readonly #modules: string[] = [];
  readonly #timers = new Set<string>();
  readonly #ptimer: PtimerReader;

  constructor(private readonly into: RTimerConfig, private readonly rules: KamailioRules,
    private readonly env: Readonly<Record<string, string | undefined>>, private readonly at: (line: number) => Where) {
    this.#ptimer = new PtimerReader(into);
  }

  read(tokens: Token[]): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind !== 'word') continue;
      if ((t.value === 'loadmodule' || t.value === 'loadmodulex') && tokens[i + 1]?.kind === 'string') {
        this.#load(tokens[i + 1].value, this.at(t.line));
        i++;
        continue;
      }
      if ((t.value !== 'modparam' && t.value !== 'modparamx') || tokens[i + 1]?.value !== '(') continue;
      const args: Token[] = [];
      let j = i + 2;
      for (;;) {
        const a = tokens[j];
        if (!a || (a.kind !== 'string' && a.kind !== 'number')) {
          throw syntax(`malformed ${t.value}(...): expected a quoted string or a number${a ? `, found "${a.value}"` : ''}`, this.at(a?.line ?? t.line));
        }
        args.push(a);
        const sep = tokens[j + 1];
        j += 2;
        if (sep?.value === ')') break;
        if (sep?.kind === 'string') {
          throw syntax(`malformed ${t.value}(...): two strings in a row; Kamailio joins only double-quoted strings with nothing but `
            + 'blanks between them (no comment, no define after a string, no single quotes)', this.at(sep.line));
        }
        if (sep?.value !== ',') throw syntax(`malformed ${t.value}(...): expected "," or ")"`, this.at(sep?.line ?? a.line));
      }
      i = j - 1;
      // Kamailio's grammar takes modparam(module, name, value) only, whatever the module.
      if (args.length !== 3) throw syntax(`${t.value}("${args[0].value}", ...) takes 3 arguments, found ${args.length}`, this.at(t.line));
      this.#modparam(t.value === 'modparamx', args, this.at(t.line));
    }
    this.#ptimer.finish();
  }

  #load(path: string, where: Where): void {
    const name = path.replace(/^.*\//, '').replace(/\.so$/, '');
    if (this.#modules.includes(name)) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MODULE',
        `module "${name}" is loaded twice; Kamailio refuses the second loadmodule ("failed to load module")`, { ...where, text: path });
    }
    if (name === 'ptimer' && !this.rules.ptimer) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MODULE',
        `Kamailio ${this.rules.version} has no ptimer module (loadmodule "ptimer.so" fails there); choose a later version `
        + 'with kamailioVersion / --kamailio to read ptimer lines', { ...where, text: path });
    }
    this.#modules.push(name);
  }

  #modparam(evaluate: boolean, [modArg, paramArg, valueArg]: Token[], where: Where): void {
    const fn = evaluate ? 'modparamx' : 'modparam';
    // core modparam.c: the module name is a POSIX regexp, matched whole and ignoring case; run on RE2.
    let re: { test(name: string): boolean };
    try {
      const compiled = RE2JS.compile(`^(?:${ereToRe2(modArg.value, false)})$`, RE2JS.CASE_INSENSITIVE);
      re = { test: (name) => compiled.matches(name) };
    } catch (err) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MODULE', `${fn}("${modArg.value}", ...): bad module name regexp: ${(err as Error).message}`,
        { ...where, text: modArg.value });
    }
    const matched = this.#modules.filter((m) => re.test(m));
    if (matched.length === 0) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MODULE',
        `${fn}("${modArg.value}", "${paramArg.value}", ...): no module loaded before it matches "${modArg.value}" `
        + `(Kamailio: "No module matching <${modArg.value}> found"); load it first with loadmodule`, { ...where, text: modArg.value });
    }
    const ours = matched.filter((m) => m === 'rtimer' || m === 'ptimer');
    if (ours.length === 0) return;
    if (ours.length < matched.length) {
      const others = matched.filter((m) => !(ours as string[]).includes(m));
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_MODULE',
        `${fn}("${modArg.value}", "${paramArg.value}", ...) matches ${ours.join(', ')} and ${others.join(', ')}: Kamailio sets it in every `
        + `module that matches and refuses when one of them lacks "${paramArg.value}"; name the module alone`, { ...where, text: modArg.value });
    }
    const value = evaluate && valueArg.kind === 'string' ? { ...valueArg, value: this.#evaluate(valueArg.value, where) } : valueArg;
    for (const module of ours) {
      const vWhere = this.at(value.line);
      if (module === 'ptimer') {
        this.#ptimer.param(paramArg.value, { kind: value.kind === 'number' ? 'number' : 'string', value: value.value }, vWhere);
      } else {
        this.#rtimer(paramArg.value, value, vWhere);
      }
    }
  }

  /** modparamx evaluates the value's pseudo-variables; node-rtimer knows $env(NAME). */
  #evaluate(text: string, where: Where): string {
    return text.replace(/\$(env\(([A-Za-z_][A-Za-z0-9_]*)\)|[^]?)/g, (whole, _m: string, name: string | undefined) => {
      if (name !== undefined) return this.env[name] ?? '';
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_PVAR',
        `modparamx value "${text}": node-rtimer evaluates only $env(NAME) in a modparamx value, not "${whole}..."`, { ...where, text });
    });
  }

  #rtimer(param: string, value: Token, where: Where): void {
    const wants = param === 'default_interval' ? 'number' : 'string';
    if (param !== 'timer' && param !== 'exec' && param !== 'default_interval') {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_UNKNOWN_PARAM',
        `unknown rtimer parameter "${param}" (expected timer, exec or default_interval; Kamailio's parameter names are case-sensitive)`,
        { ...where, text: param });
    }
    if (value.kind !== wants) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_PARAM_TYPE',
        `rtimer parameter "${param}" takes ${wants === 'number' ? 'an integer' : 'a quoted string'}, got `
        + `${value.kind === 'number' ? value.value : `"${value.value}"`} (Kamailio: parameter <${param}> of that type not found)`,
        { ...where, text: value.value });
    }
    if (param === 'default_interval') { this.into.setDefaultInterval(value.value, where); return; }
    if (param === 'timer') {
      const spec = kamailioTimerSpec(value.value, where);
      this.into.timer(spec as never, where);
      this.#timers.add(spec.name.toLowerCase());
      return;
    }
    const exec = kamailioExecSpec(value.value, where);
    if (!this.#timers.has(exec.timer.toLowerCase())) {
      throw new RTimerConfigError('ERR_RTIMER_EXEC_TIMER_UNKNOWN',
        `exec "${value.value}" names timer "${exec.timer}", which no rtimer timer line declares before it `
        + '(Kamailio looks the timer up when it reads the exec line: "timer not found"; a ptimer timer takes its routes from '
        + 'modparam("ptimer", "loop", ...))', { ...where, text: exec.timer });
    }
    this.into.exec(exec, where);
  }
}

/** An included file, held to the rules of the main one: UTF-8 text without NUL bytes. */
function readIncluded(path: string, maxBytes: number): string {
  const text = decodeConfig(readConfigFile(path, maxBytes), path);
  checkText(text, path);
  return text;
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

function syntax(reason: string, where: Where): RTimerConfigError {
  return new RTimerConfigError('ERR_RTIMER_CONFIG_SYNTAX', reason, where);
}

// cfg.lex's numbers: hexadecimal, binary (`101b`), octal (a leading 0), decimal; a minus before one
// belongs to it in a modparam. Digits running into letters are a NUM_ID, not a number.
const NUMBER = /^-?(0x[0-9a-fA-F]+|[01]+b|0[0-7]+|0|[1-9][0-9]*)(?![A-Za-z0-9_])/;
// ... and the words it reads as 1 and 0.
const YES = new Set(['yes', 'true', 'on', 'enable']);
const NO = new Set(['no', 'false', 'off', 'disable']);

function numberValue(text: string): string {
  const neg = text.startsWith('-');
  const t = neg ? text.slice(1) : text;
  const n = t.startsWith('0x') ? parseInt(t.slice(2), 16) : t.endsWith('b') ? parseInt(t.slice(0, -1), 2)
    : t.length > 1 && t.startsWith('0') ? parseInt(t, 8) : Number(t);
  return String(neg ? -n : n);
}

// Enough of Kamailio's lexer to find modparam calls in preprocessed text (comments are gone, but the
// lexer still knows them): strings with escapes, words, numbers.
function tokenize(text: string, at: (line: number) => Where): Token[] {
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
      if (i >= text.length) throw syntax('unterminated /* comment', at(startLine));
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const startLine = line;
      let value = '';
      for (;;) {
        // cfg.lex: double-quoted strings take backslash escapes, single-quoted ones none.
        let j = i + 1;
        while (j < text.length && text[j] !== c) j += c === '"' && text[j] === '\\' ? 2 : 1;
        if (j >= text.length) throw syntax(`unterminated string starting ${c}${text.slice(i + 1, i + 31)}`, at(startLine));
        const raw = text.slice(i + 1, j);
        for (const ch of raw) if (ch === '\n') line++;
        value += decodeString(c, raw);
        i = j + 1;
        // The preprocessor has joined "a;" "b" already: two strings here are two tokens.
        break;
      }
      tokens.push({ kind: 'string', value, line: startLine });
      continue;
    }
    const num = NUMBER.exec(text.slice(i, i + 64));
    if (num) { tokens.push({ kind: 'number', value: numberValue(num[0]), line }); i += num[0].length; continue; }
    const word = /^[A-Za-z0-9_$][A-Za-z0-9_.$]*/.exec(text.slice(i, i + 256));
    if (word) {
      const flag = YES.has(word[0]) ? '1' : NO.has(word[0]) ? '0' : undefined;
      tokens.push(flag !== undefined ? { kind: 'number', value: flag, line } : { kind: 'word', value: word[0], line });
      i += word[0].length;
      continue;
    }
    tokens.push({ kind: 'punct', value: c, line });
    i++;
  }
  return tokens;
}
