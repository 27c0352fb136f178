import { setImmediate } from 'node:timers';
import { binding, type NativeDispatch, type NativeTimer, type NativeTimerStats } from '../native/binding.js';
import { RTimerError } from '../errors.js';
import { Histogram } from '../stats/histogram.js';
import { loopWakeUsable } from '../runtime.js';
import type { Execution, TimerRuntime } from './runtime.js';

const hrtime = process.hrtime.bigint;

/**
 * Default timers (no precision, priority, cpus or own thread) are woken by the event loop polling a
 * timerfd: no hop from a thread, about half the wake-up cost. RTIMER_WAKE=thread keeps them on the
 * shared thread (to compare, or should a platform's poll misbehave); Bun and Deno get it always.
 */
const LOOP_WAKE = loopWakeUsable();

export interface NativeDetail {
  /** Timer thread wake-up minus the time it meant to wake (the deadline, less the lead), ns. */
  wake: Histogram;
  /** Arrival in the event loop minus the timer thread's hand-over, ns. */
  hop: Histogram;
  /** Precision mode: the current early-wake lead and the share of one core its spin used. */
  leadNs: number;
  spinCpu: number;
  /** Waits whose timerfd or poll() failed; the thread fell back to a plain timed wait. */
  waitErrors: number;
  thread: 'own' | 'shared';
  /** Who wakes it: a timer thread, or the event loop polling a timerfd (default timers on Linux). */
  wakeBy: 'thread' | 'loop';
  /** Real-time knobs the system granted, and those it refused, with the reason. */
  applied: string[];
  refused: string[];
}

export interface NativeRunnerStats {
  ticks: number;
  executions: number;
  missed: number;
  dispatchErrors: number;
  lateness: Histogram;
  native: NativeDetail;
  raw: NativeTimerStats;
}

/**
 * Warm start: runs the tick path of `runtimes` dry (TimerRuntime.rehearse) until about 2,000 calls
 * have run, so that the first batch after start() runs compiled code, and returns what one tick
 * took (ns), which the engine uses as its first estimate of how early to hand a batch over.
 */
export function rehearse(runtimes: readonly TimerRuntime[]): number {
  if (runtimes.length === 0) return 0;
  const rounds = Math.min(50, Math.ceil(2000 / runtimes.length));
  let t0 = hrtime();
  for (let r = 0; r < rounds; r++) {
    if (r === rounds - 1) t0 = hrtime(); // the last round: compiled by now
    for (const rt of runtimes) rt.rehearse();
  }
  return Number(hrtime() - t0) / runtimes.length;
}

/** One in-process native timer driving a TimerRuntime: the engine's thread times, JS runs routes. */
export class NativeRunner {
  readonly #native: NativeTimer;
  readonly #rt: TimerRuntime;
  #stopping: Promise<void> | null = null;

  /** `prepareNs`: what preparing one tick took in a dry run (see rehearse()). */
  constructor(rt: TimerRuntime, prepareNs = 0) {
    const c = rt.config;
    this.#rt = rt;
    // Precision mode: the engine hands the tick over its lead early and learns the lead from when
    // JS was ready and when the route started (one shared array, no call).
    const precise = (c.precision?.budget ?? 0) > 0;
    const report = new BigInt64Array(2);
    const settle = (pending: Promise<void> | undefined): boolean => {
      if (pending === undefined) return false;
      pending.then(() => { if (this.#native.complete()) this.#defer(); });
      return true;
    };
    // The batch loop (lib/native/dispatch-loop.ts) prepares every due tick first, then runs each:
    // run() gets the prepared execution; the runtime spins to the deadline on the line before the
    // route (see TimerRuntime.call) and run() writes when the route started to out[at].
    const run = precise
      ? (exec: Execution, scheduled: bigint, out: BigInt64Array, at: number): boolean => {
        // An earlier route of the batch paused it: no spin, call() counts the tick, nothing to learn.
        report[0] = rt.runsNow ? hrtime() : 0n; // ready: the engine learns the lead from this, and counts the spin from it
        const pending = rt.call(exec, scheduled);
        out[at] = exec.started;
        report[1] = report[0] === 0n ? 0n : exec.started;
        return settle(pending);
      }
      : (exec: Execution, scheduled: bigint, out: BigInt64Array, at: number): boolean => {
        const pending = rt.call(exec, scheduled);
        out[at] = exec.started;
        return settle(pending);
      };
    // One call per tick, for the engine's single deliveries (no batch loop registered).
    const dispatch: NativeDispatch = precise
      ? (tick: number, scheduled: bigint): boolean => {
        const exec = rt.prepare(tick, scheduled);
        return exec !== undefined && run(exec, scheduled, report, 1); // paused or busy: nothing to spin for
      }
      : (tick: number, scheduled: bigint, started: bigint): boolean => settle(rt.run(tick, scheduled, started));
    dispatch.prepare = (tick: number, scheduled: bigint): Execution | undefined => rt.prepare(tick, scheduled);
    dispatch.run = run as NonNullable<NativeDispatch['run']>;
    this.#native = startError(c.name, () => new binding.NativeTimer({
      name: c.name,
      intervalNs: c.intervalUs * 1000,
      policy: c.policy,
      maxBurst: c.maxBurst,
      precisionBudget: c.precision?.budget ?? 0,
      ownThread: c.thread === 'own',
      priority: c.realtime.priority,
      schedPolicy: c.realtime.schedPolicy,
      cpus: c.realtime.cpus,
      lockMemory: c.realtime.lockMemory,
      ...(precise ? { spinReport: report } : {}),
      ...(prepareNs > 0 ? { prepareNs } : {}),
      // A timer that needs no thread of its own is woken by the event loop (see LOOP_WAKE).
      wake: LOOP_WAKE ? 'loop' : 'thread',
    }, dispatch, () => this.#defer()));
  }

  // A late tick owed after a route is handed over on the next turn of the event loop, so timers
  // and I/O run between catch-up executions however far behind the timer is.
  #defer(): void { setImmediate(this.#catchUp); }
  readonly #catchUp = () => this.#native.catchUp();

  get config() { return this.#rt.config; }

  start(anchorNs?: bigint): void { startError(this.#rt.config.name, () => this.#native.start(anchorNs)); }

  /** Resolves when the thread is joined, queued ticks have drained and the route in flight is done. */
  stop(): Promise<void> {
    return this.halt().then(() => this.#rt.inFlight ?? undefined);
  }

  /** Resolves when the thread is joined and queued ticks have drained: no execution starts after. */
  halt(): Promise<void> {
    this.#stopping ??= this.#native.stop();
    return this.#stopping;
  }

  ref(): void { this.#native.ref(); }
  unref(): void { this.#native.unref(); }

  /** Counters and lateness as the engine measured them, plus what only the engine knows. */
  stats(): NativeRunnerStats {
    return nativeDetail(this.#native.stats());
  }
}

/** Runs `f`; anything it throws reaches the user as an RTimerError ERR_RTIMER_START (out of fds, threads, ...). */
function startError<T>(timer: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new RTimerError('ERR_RTIMER_START', `timer "${timer}" cannot start: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** The engine's raw snapshot as counters, histograms and detail (also for snapshots sent by workers). */
export function nativeDetail(s: NativeTimerStats): NativeRunnerStats {
  return {
    ticks: s.ticks, executions: s.executions, missed: s.missed, dispatchErrors: s.dispatchErrors,
    lateness: Histogram.fromSnapshot(s.callback), raw: s,
    native: {
      wake: Histogram.fromSnapshot(s.wake), hop: Histogram.fromSnapshot(s.hop),
      leadNs: s.leadNs, spinCpu: s.elapsedNs > 0 ? s.spinNs / s.elapsedNs : 0, waitErrors: s.waitErrors ?? 0,
      thread: s.thread, wakeBy: s.wakeBy ?? 'thread', applied: s.applied, refused: s.refused,
    },
  };
}
