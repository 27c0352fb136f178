import type { IntervalUnit } from './interval.js';

export type MissedTickPolicy = 'skip' | 'burst' | 'delay';

/** Real-time knobs of a native timer; each is opt-in and reported as applied or refused. */
export interface RealtimeOptions {
  /** SCHED_FIFO (or `schedPolicy: 'rr'`) priority 1..99 for the timer's thread. */
  priority?: number;
  schedPolicy?: 'fifo' | 'rr';
  /** CPUs the timer's thread may run on. */
  cpus?: number[];
  /** A process-wide, reference-counted mlockall(MCL_CURRENT|MCL_ONFAULT) while the timer runs (main thread only). */
  lockMemory?: boolean;
}

export interface PrecisionOptions {
  /** Largest share of one core the early-wake spin may use, 0 < budget <= 0.5. Default 0.05. */
  budget?: number;
}

/**
 * A timer as a typed object, the alternative to the Kamailio string `name=ta;mode=1;interval=10`.
 * The options besides name, interval and mode are read by the native engine: a timer that stays in
 * mode 0 refuses them (`ERR_RTIMER_OPTION_UNSUPPORTED`), and `stagger` needs mode N >= 1.
 */
export interface TimerSpec extends RealtimeOptions {
  name: string;
  /** Seconds as a number, or a string with a unit: `'10'`, `'10s'`, `'250ms'`, `'100000u'`, `'100us'`. */
  interval?: number | string;
  /** 0: shared main timer; N > 0: N dedicated processes; `'inline'` (any case): native timer in this process. */
  mode?: number | 'inline';
  policy?: MissedTickPolicy;
  /** With `policy: 'burst'`, the most late ticks caught up at once. Default 10. */
  maxBurst?: number;
  /** Opt-in early wake + short spin for the lowest lateness. */
  precision?: boolean | PrecisionOptions;
  /** `'own'` gives the timer a thread of its own; the default shares one thread between timers. */
  thread?: 'shared' | 'own';
  /**
   * Spread instead of firing together. A mode=N (N >= 1) timer: its processes over the interval.
   * Inline timers: every inline timer of one RTimer with `stagger: true` and the same interval, in
   * declaration order, timer j of m getting the phase j × interval / m (added to its own `phase`).
   */
  stagger?: boolean;
  /**
   * Inline timers: deadlines at `start + phase + k × interval` instead of `start + k × interval`, to
   * spread timers that share an interval. A duration below the interval: `'250us'`, `'5ms'`.
   */
  phase?: string | number;
  /**
   * Inline timers: `'realtime'` puts deadlines (before `phase`) on multiples of the interval on the
   * wall clock (CLOCK_REALTIME), so hosts synchronised by NTP/PTP tick together. The schedule is
   * anchored once, at start, and then runs on the monotonic clock: a later step of the wall clock
   * does not move it (restart the timer to re-align). Default `'monotonic'`: anchored at start.
   */
  align?: 'realtime' | 'monotonic';
  /** Tasks to share out over the slices (ptimer's `ntasks`): an integer 0..2^32-1. Default 0. */
  ntasks?: number;
  /** Slices the tasks are cut into, one slice per tick (ptimer's `nslices`): an integer 1..2^32-1. Default 1. */
  nslices?: number;
  /**
   * With RTimer's `cluster` option: `'once'` runs each tick on one node (the leader of the timer's
   * election), `'slices'` spreads the tasks over the live nodes, `'all'` (default) runs on every node.
   * Mode 0 and inline timers; deadlines then lie on the wall-clock grid (as `align: 'realtime'`).
   */
  cluster?: 'once' | 'slices' | 'all';
}

/** When a route runs: once before the first tick, every tick, or once when the timer ends. */
export type RouteHook = 'start' | 'tick' | 'end';

export interface ExecSpec {
  timer: string;
  route: string;
  /** Default `'tick'` (rtimer's `exec`, ptimer's `loop`); a timer has at most one `'start'` and one `'end'` route. */
  on?: RouteHook;
}

/** Kamailio ptimer's timer types: 0 basic, 1 sync, 2 slice, 3 synced slice. */
export type PtimerType = 0 | 1 | 2 | 3;

/** A timer after parsing, defaults applied and its execs attached. */
export interface TimerConfig {
  name: string;
  mode: number | 'inline';
  /** The interval as written, in `unit`. */
  interval: number;
  unit: IntervalUnit;
  intervalUs: number;
  /** The routes of every tick, in the order they run (ptimer's `loop` route). */
  routes: string[];
  /** The route run once before the first tick (ptimer's `start`), when there is one. */
  start?: string;
  /** The route run once when the timer ends (ptimer's `end`), when there is one. */
  end?: string;
  /** Tasks shared out over the slices, 0..2^32-1. */
  ntasks: number;
  /** Slices per round, >= 1: each tick works on the next slice. */
  nslices: number;
  /**
   * Set for a timer declared with `modparam("ptimer", "timer", ...)`. Types 0 and 1 never slice (every
   * tick gets slice 0 and all `ntasks`); 2 and 3 do. All four run drift-free: see `slicesTasks()`.
   */
  type?: PtimerType;
  policy: MissedTickPolicy;
  maxBurst: number;
  precision: { budget: number } | null;
  thread: 'shared' | 'own';
  realtime: RealtimeOptions;
  stagger: boolean;
  /** Inline timers: the phase in µs, when given and not 0. */
  phaseUs?: number;
  /** Inline timers: set when deadlines align on the wall clock. */
  align?: 'realtime';
  /** Set for cluster timers (`'all'` is no cluster timer). */
  cluster?: 'once' | 'slices';
  /** Where it was declared, for error messages. */
  source?: { file?: string; line?: number };
}
