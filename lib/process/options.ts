import { RTimerError } from '../errors.js';

export interface SupervisorOptions {
  /** Restarts allowed per worker within `restartWindowMs`; one more exit marks the timer failed. Default 5. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** First restart delay, doubled on each restart in the window, at most `maxBackoffMs`. Default 100. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long stop() lets a worker finish its route in flight before it is killed. Default 2000. */
  stopGraceMs?: number;
  /** How long a worker has to load the routes and arm its timer; past it the worker is killed. Default 30000. */
  startTimeoutMs?: number;
  /** How often workers report their statistics (their heartbeat). Default 1000. */
  statsIntervalMs?: number;
  /**
   * A running worker silent this long is reported ('worker-unresponsive') and killed, then restarted
   * like a crash. The heartbeat runs on the worker's event loop, so a synchronous route longer than
   * this is taken for wedged. Default max(5000, 5 stats intervals, 2 timer intervals); `0` or
   * `false` turns the watchdog off.
   */
  watchdogMs?: number | false;
  /** False: the watchdog only reports an unresponsive worker and leaves it running. Default true. */
  watchdogKill?: boolean;
}

export type ResolvedSupervisorOptions = Required<Omit<SupervisorOptions, 'watchdogMs'>> & { watchdogMs: number };

// Node timers hold at most 2^31-1 ms; longer delays fire at once.
const MAX_MS = 2 ** 31 - 1;

interface Rule { min: number; integer: boolean; def: number }
const RULES: Record<Exclude<keyof SupervisorOptions, 'watchdogMs' | 'watchdogKill'>, Rule> = {
  maxRestarts: { min: 0, integer: true, def: 5 },
  restartWindowMs: { min: 1, integer: false, def: 60_000 },
  backoffMs: { min: 0, integer: false, def: 100 },
  maxBackoffMs: { min: 0, integer: false, def: 5_000 },
  stopGraceMs: { min: 0, integer: false, def: 2_000 },
  startTimeoutMs: { min: 1, integer: false, def: 30_000 },
  statsIntervalMs: { min: 1, integer: false, def: 1_000 },
};
const KNOWN = new Set<string>([...Object.keys(RULES), 'watchdogMs', 'watchdogKill']);

function invalid(name: string, want: string, got: unknown): RTimerError {
  let shown: string;
  try { shown = typeof got === 'string' ? JSON.stringify(got) : String(got); } catch { shown = typeof got; }
  return new RTimerError('ERR_RTIMER_OPTION_INVALID', `supervisor option ${name} must be ${want} (got ${shown})`);
}

function number(name: string, value: unknown, rule: Rule): number {
  if (value === undefined) return rule.def;
  const want = `${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.integer ? 'any' : MAX_MS}`;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || (rule.integer && !Number.isInteger(value))) {
    throw invalid(name, want, value);
  }
  if (!rule.integer && value > MAX_MS) throw invalid(name, want, value);
  return value;
}

/**
 * Every supervisor option checked and defaulted: `undefined` means the default, anything else must be valid.
 * `intervalMs`: the timer's interval, when known, so that the default watchdog outlasts a route
 * that fills its interval (a worker's heartbeat waits for its synchronous route).
 */
export function validateSupervisorOptions(options: unknown, intervalMs = 0): ResolvedSupervisorOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `supervisor options must be an object (got ${options === null ? 'null' : typeof options})`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `unknown supervisor option ${JSON.stringify(key)} (known: ${[...KNOWN].join(', ')})`);
    }
  }
  const out = {} as Record<string, number | boolean>;
  for (const [name, rule] of Object.entries(RULES)) out[name] = number(name, o[name], rule);
  const stats = out.statsIntervalMs as number;
  const wd = o.watchdogMs;
  if (wd === undefined) out.watchdogMs = Math.min(MAX_MS, Math.max(5_000, 5 * stats, 2 * intervalMs));
  else if (wd === false || wd === 0) out.watchdogMs = 0;
  else {
    const want = `false, 0, or a number of ms above statsIntervalMs (${stats}) and at most ${MAX_MS}`;
    if (typeof wd !== 'number' || !Number.isFinite(wd) || wd <= stats || wd > MAX_MS) throw invalid('watchdogMs', want, wd);
    out.watchdogMs = wd;
  }
  if (o.watchdogKill !== undefined && typeof o.watchdogKill !== 'boolean') throw invalid('watchdogKill', 'a boolean', o.watchdogKill);
  out.watchdogKill = o.watchdogKill ?? true;
  if ((out.maxBackoffMs as number) < (out.backoffMs as number)) {
    throw invalid('maxBackoffMs', `at least backoffMs (${out.backoffMs})`, out.maxBackoffMs);
  }
  return out as unknown as ResolvedSupervisorOptions;
}
