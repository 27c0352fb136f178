import { inspect, types } from 'node:util';
import { distance } from 'fastest-levenshtein';

/** Base class of every error node-rtimer throws or emits; `code` is stable, the message is not. */
export class RTimerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RTimerError';
    this.code = code;
  }
}

export interface ConfigErrorSource {
  /** The parameter text (or part of it) that is wrong, as the user wrote it. */
  text?: string;
  file?: string;
  line?: number;
}

/** A `timer`, `exec` or `default_interval` parameter, or a config file, that cannot be accepted. */
export class RTimerConfigError extends RTimerError {
  readonly text?: string;
  readonly file?: string;
  readonly line?: number;
  /** The reason alone, without the file and line prefix. */
  readonly reason: string;
  constructor(code: string, reason: string, source: ConfigErrorSource = {}) {
    const where = source.line !== undefined ? `${source.file ?? '<config>'}:${source.line}: ` : '';
    super(code, where + reason);
    this.name = 'RTimerConfigError';
    this.reason = reason;
    this.text = source.text;
    this.file = source.file;
    this.line = source.line;
  }
}

/** A route that threw or rejected; emitted as `'error'`, never thrown out of the timer. */
export class RTimerRouteError extends RTimerError {
  readonly timer: string;
  readonly route: string;
  readonly worker: number;
  constructor(timer: string, route: string, worker: number, cause: unknown) {
    super('ERR_RTIMER_ROUTE_FAILED', `route "${route}" of timer "${timer}" failed: ${describeThrown(cause)}`, { cause });
    this.name = 'RTimerRouteError';
    this.timer = timer;
    this.route = route;
    this.worker = worker;
  }
}

/** A route still running when stop()'s grace period ran out: stop() resolved without it. */
export class RTimerStopGraceError extends RTimerError {
  readonly timer: string;
  readonly route: string;
  readonly worker: number;
  readonly graceMs: number;
  constructor(timer: string, route: string, worker: number, graceMs: number) {
    super('ERR_RTIMER_STOP_GRACE', `route "${route}" of timer "${timer}" was still running ${graceMs} ms after stop(); ` +
      'stop() went on without it (counted in stats().abandoned)');
    this.name = 'RTimerStopGraceError';
    this.timer = timer;
    this.route = route;
    this.worker = worker;
    this.graceMs = graceMs;
  }
}

const MAX_DETAIL = 1000;

/**
 * One line describing anything a route may throw, never throwing itself: an Error's message when it
 * is a string, else util.inspect, else the bare type. Routes can throw values with no string form
 * (Object.create(null), a throwing toString, a Proxy), and the error path must not fail on them.
 */
export function describeThrown(value: unknown): string {
  let text: string;
  try {
    const message = value instanceof Error || types.isNativeError(value) ? (value as Error).message : undefined;
    text = typeof value === 'string' ? value
      : typeof message === 'string' ? message
      : inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: MAX_DETAIL });
  } catch {
    try {
      text = `<${Object.prototype.toString.call(value)} that cannot be printed>`;
    } catch {
      text = `<${typeof value} that cannot be printed>`;
    }
  }
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** start() on an RTimer once stop() was called, or stop() while it started. */
export function stoppedError(): RTimerError {
  return new RTimerError('ERR_RTIMER_STOPPED', 'this RTimer was stopped; create a new one to start again');
}

/**
 * Rethrows on a later turn, as an uncaught exception: for a user callback (an 'error' listener)
 * that threw inside our bookkeeping, which must finish first. Like a throwing EventEmitter listener,
 * it ends the process unless the application handles 'uncaughtException'.
 */
export function throwLater(err: unknown): void {
  process.nextTick(() => { throw err; });
}

/**
 * ` (did you mean "x"?)` when one of `known` is a near miss of `given` (case aside: at most a third of
 * its letters wrong, rounded up), else ''. For unknown names in errors: one line that points at the fix.
 */
export function didYouMean(given: unknown, known: readonly string[]): string {
  if (typeof given !== 'string' || given === '' || given.length > 200) return '';
  const g = given.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.ceil(g.length / 3)) + 1;
  for (const k of known) {
    const d = distance(g, k.toLowerCase());
    if (d < bestD && k !== given) { best = k; bestD = d; }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

const warned = new WeakMap<object, Set<string>>();

/**
 * process.emitWarning once per `owner` and `code`: for calls that are valid but likely a mistake
 * (Kamailio accepts them too), so they neither throw nor stay silent. `--no-warnings` hides them.
 */
export function warnOnce(owner: object, code: string, message: string): void {
  let codes = warned.get(owner);
  if (!codes) warned.set(owner, codes = new Set());
  if (codes.has(code)) return;
  codes.add(code);
  process.emitWarning(message, { type: 'RTimerWarning', code });
}
