import { AsyncLocalStorage } from 'node:async_hooks';
import type { RouteHook, TimerConfig } from '../config/types.js';
import { RTimerRouteError, throwLater } from '../errors.js';
import { RouteCall, type ClusterTickView } from '../route/context.js';
import type { Route, RouteContext } from '../route/routes.js';
import { Histogram, recordSoon } from '../stats/histogram.js';
import { Lifecycle, type HookResult, type LoopStateChange } from './lifecycle.js';
import { precisionSpin } from './precision.js';
import type { SliceFields } from './slices.js';
import type { SpendDuration } from '../route/spend.js';

export interface TimerCounters {
  /** Deadlines that passed while the timer's loop ran (not ended): executions + missed + paused. */
  ticks: number;
  /**
   * Deadlines that passed while the loop was ended (by its end route, a -1, a failing start): no
   * route could run. ticks + idle = every deadline of the timer's schedule.
   */
  idle: number;
  /** Ticks whose routes ran. */
  executions: number;
  /** Ticks not run: the previous execution was still going, or the timer woke too late for them. */
  missed: number;
  /** Ticks that passed while the timer was paused: executions + missed + paused = ticks. */
  paused: number;
  /** Route calls that threw or rejected (start and end routes included). */
  errors: number;
  /** Route calls, errors included (executions × routes, plus start, end and triggered calls). */
  routeCalls: number;
  /** Runs of the tick routes asked for with trigger(name, 'tick'), outside the schedule and `ticks`. */
  triggered: number;
}

export const zeroCounters = (): TimerCounters =>
  ({ ticks: 0, idle: 0, executions: 0, missed: 0, paused: 0, errors: 0, routeCalls: 0, triggered: 0 });

/**
 * Which scheduled ticks this node runs, for a cluster timer (lib/cluster): ticks are numbered on
 * the cluster's grid and each is admitted, or counted by the gate, before anything is built.
 */
export interface TickGate {
  /** The cluster's number of the scheduler's tick `k` (ctx.tick). */
  number(k: number): number;
  /** Whether this node runs tick `n` (prepare). */
  admit(n: number): boolean;
  /** Checked again right before the call (after a precision spin): the fencing deadline. */
  still(n: number): boolean;
  /** The slice of tick `n`: every node takes the same slice for the same tick. */
  fields(n: number): SliceFields;
  /** What the tick's context says about the cluster. */
  view(n: number): ClusterTickView;
}

/** Start and end routes of a timer, and who hears its loop's state changes. */
export interface RuntimeHooks {
  start?: Route;
  end?: Route;
  onState?: (change: LoopStateChange) => void;
  /** The clock routes run on (process.hrtime.bigint, or a virtual clock's). */
  now?: () => bigint;
  /** What ctx.spend() does (busy-waits by default). */
  spend?: (d: SpendDuration) => void;
  /** Cluster timers: which ticks run here. */
  gate?: TickGate;
}

/**
 * Dispatches the native engine made that ran no route (it counted them as executions): paused ones,
 * ones that found a triggered execution in flight (missed), and ones after the loop ended (no tick).
 */
export interface NativeSkips { paused: number; busy: number; idle: number; cluster: number }

/** One tick's run of a timer's routes. */
export interface Execution {
  readonly runtime: TimerRuntime;
  readonly tick: number;
  /** Index of the route running now, in the routes of `on`. */
  route: number;
  /** The tick routes (scheduled, or triggered when tick is 0), or the start or end route. */
  readonly on: RouteHook;
  readonly fields: SliceFields;
  /** What the lifecycle hears once every route returned. */
  readonly result: HookResult;
  /** Start only: the context, whose ntasks, nslices and slice the route may set. */
  ctx?: RouteContext;
  /** stop() gave up waiting for it (grace period over); it may still finish on its own. */
  abandoned: boolean;
  /** It waits in a stop() one of its routes called: stop() calls do not wait for it meanwhile. */
  waitingInStop: boolean;
  /** The first route's context, built by prepare() before the call; used once. */
  first: RouteCall | null;
  /** When its first route was called (its `ctx.started`); set by call(), also when it skipped the tick. */
  started: bigint;
}

/**
 * An execution is its own result. A scheduled tick whose routes all returned synchronously leaves
 * its execution to the timer's next tick, unless someone asked for it (callingExecution()): the
 * context is then the only object a tick allocates.
 */
class TickExecution implements Execution, HookResult {
  route = 0;
  ctx: RouteContext | undefined = undefined;
  abandoned = false;
  waitingInStop = false;
  first: RouteCall | null = null;
  started = 0n;
  failed = false;
  ended = false;
  settings: HookResult['settings'] = undefined;
  /** Handed out by callingExecution(): never reused. */
  escaped = false;

  constructor(readonly runtime: TimerRuntime, public tick: number, readonly on: RouteHook, public fields: SliceFields) {}

  get result(): HookResult { return this; }

  /** Ready for another scheduled tick. */
  reuse(tick: number, fields: SliceFields): this {
    this.tick = tick;
    this.fields = fields;
    this.route = 0;
    this.ctx = undefined;
    this.abandoned = this.waitingInStop = this.failed = this.ended = false;
    this.first = null;
    this.settings = undefined;
    return this;
  }
}

// Which execution a route's code runs in, so that stop() called from a route does not wait for
// the very execution that awaits it. The synchronous part of every route call is marked with a
// plain variable (free); async continuations need AsyncLocalStorage, which is used only for timers
// with async routes, since on Node < 24 it puts a hook on every promise of the process.
const executions = new AsyncLocalStorage<Execution>();
let syncCurrent: Execution | null = null;

/** The route execution this code runs in (also in its async continuations), if any. */
export function callingExecution(): Execution | undefined {
  const exec = syncCurrent ?? executions.getStore();
  if (exec instanceof TickExecution) exec.escaped = true;
  return exec;
}

const isAsyncFunction = (fn: Route) => Object.prototype.toString.call(fn) === '[object AsyncFunction]';

/**
 * Runs one timer's routes for a tick, in declaration order, and keeps its counters. Sync routes
 * stay synchronous (no promise per tick); the first thenable switches the rest of the tick to async.
 * Nothing a route does (throw anything, reject with anything, a throwing 'error' listener) escapes
 * from run() or leaves an execution marked in flight.
 */
export class TimerRuntime {
  readonly counters: TimerCounters = zeroCounters();
  readonly skips: NativeSkips = { paused: 0, busy: 0, idle: 0, cluster: 0 };
  readonly life: Lifecycle;
  readonly lateness = new Histogram();
  readonly duration = new Histogram();
  /** Executions stop() stopped waiting for after its grace period. */
  abandoned = 0;
  /** Set while an async execution is in flight; never rejects. */
  inFlight: Promise<void> | null = null;
  /** The async execution in flight, with inFlight. */
  execution: Execution | null = null;
  /** A finished scheduled execution, for the next tick (see TickExecution). */
  #spare: TickExecution | null = null;
  /** Whether executions run inside AsyncLocalStorage (see callingExecution). */
  #contextual: boolean;
  readonly #now: () => bigint;

  constructor(
    readonly config: TimerConfig,
    private readonly routes: readonly Route[],
    private readonly worker: number,
    private readonly onError: (err: RTimerRouteError) => void,
    /** False when the native engine measures lateness itself, before the call into JS. */
    private readonly recordLateness = true,
    private readonly hooks: RuntimeHooks = {},
  ) {
    this.#now = hooks.now ?? process.hrtime.bigint;
    this.#contextual = [...routes, hooks.start, hooks.end].some((r) => r !== undefined && isAsyncFunction(r));
    this.life = new Lifecycle({
      config, invoke: (on, fields, done) => this.#invoke(on, fields, done),
      fail: (route, err) => this.#fail(null, route, err),
    }, (c) => { try { hooks.onState?.(c); } catch (err) { throwLater(err); } });
  }

  get name(): string { return this.config.name; }

  /** Returns a promise only when a route returned one; the promise never rejects. */
  run(tick: number, scheduled: bigint, started: bigint): Promise<void> | undefined {
    const exec = this.prepare(tick, scheduled);
    return exec === undefined ? undefined : this.call(exec, scheduled, started);
  }

  /**
   * Builds a tick's execution and its first route's context without calling anything, or counts
   * the tick as skipped and returns undefined. Precision mode does this before it spins to the
   * deadline, so only the call itself runs after it; call() must follow at once.
   */
  prepare(tick: number, scheduled: bigint): Execution | undefined {
    if (this.#skips()) return undefined;
    const gate = this.hooks.gate;
    if (gate !== undefined) {
      tick = gate.number(tick);
      if (!gate.admit(tick)) { this.skips.cluster++; return undefined; }
    }
    const spare = this.#spare;
    this.#spare = null;
    const fields = gate !== undefined ? gate.fields(tick) : this.life.slices.advance();
    const exec = spare !== null ? spare.reuse(tick, fields) : new TickExecution(this, tick, 'tick', fields);
    if (this.routes.length > 0) exec.first = this.#context(exec, 0, scheduled, scheduled, true);
    return exec;
  }

  /**
   * Runs a prepared tick: the rest of run(). A batch prepares all its ticks first, so a route
   * before this one may have paused or stopped this timer meanwhile: the tick is then counted as
   * prepare() would have. Without `started` (the native engine's ticks, handed over early), the
   * first route starts at its deadline: every counter, the execution's context and its
   * AsyncLocalStorage entry are set first, then the clock is read (spun on up to `scheduled`) on
   * the line before the route is called, and that read is `ctx.started` and `exec.started`.
   * Lateness is recorded once the route returned.
   */
  call(exec: Execution, scheduled: bigint, started?: bigint): Promise<void> | undefined {
    if (this.#skips()) {
      exec.started = started ?? this.#now();
      return undefined;
    }
    // Before the spin when `started` is undefined: the renew deadline is a fraction of the ttl
    // ahead (seconds), the spin at most the engine's lead (microseconds).
    if (this.hooks.gate !== undefined && !this.hooks.gate.still(exec.tick)) {
      this.skips.cluster++;
      exec.started = started ?? this.#now();
      return undefined;
    }
    this.counters.executions++;
    const pending = this.#contextual ? executions.run(exec, () => this.#run(exec, scheduled, started)) : this.#run(exec, scheduled, started);
    if (this.recordLateness) this.lateness.record(Number(exec.started - scheduled));
    return pending;
  }

  /**
   * A dry run of a tick's path up to its route, before the first deadline: an execution, its first
   * context and the spin are built and run as prepare() and call() do, but nothing is counted, no
   * slice advances, no faked id is taken and no route is called. The first batch after start()
   * then runs compiled code (see rehearse() in native-runner.ts).
   */
  rehearse(): void {
    const exec = new TickExecution(this, 0, 'tick', this.life.slices.current());
    const ctx = this.#context(exec, 0, 0n, 0n, true);
    ctx.started = precisionSpin.until(0n, ctx);
  }

  /** Whether a prepared tick would run now (call() counts it as skipped otherwise). */
  get runsNow(): boolean { return this.life.runs && !this.inFlight; }

  /** Paused, ended, or a triggered execution in flight (the native engine knows of none): counts the tick as such. */
  #skips(): boolean {
    if (this.life.runs && !this.inFlight) return false;
    if (this.life.current === 'paused') { this.counters.paused++; this.skips.paused++; }
    else if (!this.life.counting) this.skips.idle++;
    else { this.counters.missed++; this.skips.busy++; }
    return true;
  }

  /** trigger(name, 'tick'): the tick routes once now, on the current slice, counted in `triggered`. */
  runTriggered(): Promise<void> | undefined {
    this.counters.triggered++;
    return this.#invoke('tick', this.life.slices.current(), () => undefined);
  }

  /**
   * Resolves once no execution is in flight (a control verb waits for the route running now), but
   * for `own`: a route that awaits a verb on its own timer would otherwise wait for itself.
   */
  async settled(own?: Execution): Promise<void> {
    while (this.inFlight && !(own && this.execution === own)) await this.inFlight;
  }

  #execution(tick: number, on: RouteHook, fields: SliceFields): Execution {
    return new TickExecution(this, tick, on, fields);
  }

  /** Runs a hook's routes (or the tick routes, triggered) now; `done` once they all returned. */
  #invoke(on: RouteHook, fields: SliceFields, done: (r: HookResult) => void): Promise<void> | undefined {
    const exec = this.#execution(0, on, fields);
    const now = this.#now();
    const pending = this.#contextual ? executions.run(exec, () => this.#run(exec, now, now)) : this.#run(exec, now, now);
    if (pending === undefined) done(exec.result);
    else void pending.then(() => { if (!exec.abandoned) done(exec.result); });
    return pending;
  }

  #names(on: RouteHook): readonly string[] {
    return on === 'tick' ? this.config.routes : [(on === 'start' ? this.config.start : this.config.end)!];
  }

  #fns(on: RouteHook): readonly Route[] {
    return on === 'tick' ? this.routes : [(on === 'start' ? this.hooks.start : this.hooks.end)!];
  }

  /**
   * An execution is over: a tick route that returned -1 ends the loop; start's settings are read back.
   * The route may have broken its ctx (a throwing accessor defined on it): then start failed, as if
   * the route had thrown, instead of the error escaping into start(), a trigger or the control socket.
   */
  #ticked(exec: Execution): void {
    if (exec.on === 'tick' && exec.result.ended) this.life.returned();
    const ctx = exec.ctx;
    if (!ctx) return;
    try {
      exec.result.settings = { ntasks: ctx.ntasks, nslices: ctx.nslices, slice: ctx.slice };
    } catch (err) {
      this.#fail(exec, this.#names(exec.on)[0], err);
    }
  }

  /** Stops counting `exec` as in flight (stop()'s grace period is over). */
  abandon(exec: Execution): void {
    if (this.execution !== exec) return;
    exec.abandoned = true;
    this.abandoned++;
    this.execution = null;
    this.inFlight = null;
  }

  #run(exec: Execution, scheduled: bigint, from: bigint | undefined): Promise<void> | undefined {
    const fns = this.#fns(exec.on);
    exec.started = from ?? scheduled;
    if (fns.length === 0 && from === undefined) exec.started = precisionSpin.until(scheduled, exec);
    for (let i = 0; i < fns.length && !exec.result.ended; i++) {
      const result = this.#call(exec, i, scheduled, i === 0 ? from : this.#now());
      if (result !== undefined) {
        // A plain function returned a promise: later executions get the context from their start.
        this.#contextual = true;
        const p = this.#finishAsync(exec, result, i + 1, scheduled, exec.started);
        this.execution = exec;
        this.inFlight = p;
        return p;
      }
    }
    if (exec.tick > 0) recordSoon(this.duration, Number(this.#now() - exec.started));
    this.#ticked(exec);
    // Not with AsyncLocalStorage in use: work a sync route left behind (a timer, a promise) keeps
    // its execution as the store, and reads it later through callingExecution().
    if (exec.tick > 0 && !this.#contextual && exec instanceof TickExecution && !exec.escaped) this.#spare = exec;
    return undefined;
  }

  // ctx's lifecycle fields: `on`, `state` (the worker's object), and the slice (ntasks, nslices,
  // slice, tasks, taskRange); in start, ntasks/nslices/slice are read back when it returned.
  #context(exec: Execution, i: number, scheduled: bigint, started: bigint, prepared = false): RouteCall {
    const view = exec.tick > 0 && exec.on === 'tick' ? this.hooks.gate?.view(exec.tick) : undefined;
    return new RouteCall(this.config.name, this.#names(exec.on)[i], this.worker, exec.tick, scheduled, started, exec.on,
      this.life.state, exec.fields, prepared, this.hooks.spend, view);
  }

  /** `started` undefined: read the clock right before the route (spinning up to `scheduled`), see call(). */
  #call(exec: Execution, i: number, scheduled: bigint, started: bigint | undefined): PromiseLike<unknown> | undefined {
    const route = this.#names(exec.on)[i];
    const fn = this.#fns(exec.on)[i];
    let ctx: RouteCall;
    if (i === 0 && exec.first !== null) {
      ctx = exec.first;
      exec.first = null;
      ctx.begin();
    } else {
      ctx = this.#context(exec, i, scheduled, started ?? scheduled);
    }
    if (exec.on === 'start') exec.ctx = ctx;
    this.counters.routeCalls++;
    exec.route = i;
    const outer = syncCurrent;
    syncCurrent = exec;
    let at = scheduled;
    try {
      // Nothing but the call after this clock read (see call()).
      at = started ?? precisionSpin.until(scheduled, ctx);
      ctx.started = at;
      const r = fn('rtimer', ctx);
      if (r === -1) exec.result.ended = true;
      else if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(r as PromiseLike<unknown>).then((v) => { if (v === -1) exec.result.ended = true; },
          (err: unknown) => this.#fail(exec, route, err));
      }
    } catch (err) {
      this.#fail(exec, route, err);
    } finally {
      syncCurrent = outer;
      if (i === 0) exec.started = at;
    }
    return undefined;
  }

  async #finishAsync(exec: Execution, first: PromiseLike<unknown>, next: number, scheduled: bigint, started: bigint): Promise<void> {
    try {
      await first;
      const n = this.#fns(exec.on).length;
      for (let i = next; i < n && !exec.abandoned && !exec.result.ended; i++) {
        const r = this.#call(exec, i, scheduled, this.#now());
        if (r !== undefined) await r;
      }
      if (!exec.abandoned && exec.tick > 0) this.duration.record(Number(this.#now() - started));
    } catch (err) {
      throwLater(err); // a bug of ours: surface it, but never leave the execution in flight
    } finally {
      if (this.execution === exec) {
        this.execution = null;
        this.inFlight = null;
      }
    }
    // Out of flight first: an end route run from here is an execution of its own.
    if (!exec.abandoned) {
      try { this.#ticked(exec); } catch (err) { throwLater(err); }
    }
  }

  /** Counts and reports once. A throwing 'error' listener surfaces as uncaught on the next tick. */
  #fail(exec: Execution | null, route: string, err: unknown): void {
    if (exec) exec.result.failed = true;
    this.counters.errors++;
    try {
      this.onError(new RTimerRouteError(this.config.name, route, this.worker, err));
    } catch (thrown) {
      throwLater(thrown);
    }
  }
}
