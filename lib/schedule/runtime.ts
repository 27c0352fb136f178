import { AsyncLocalStorage } from 'node:async_hooks';
import type { TimerConfig } from '../config/types.js';
import { RTimerRouteError, throwLater } from '../errors.js';
import { RouteCall } from '../route/context.js';
import type { Route, RouteContext } from '../route/routes.js';
import { Histogram } from '../stats/histogram.js';

export interface TimerCounters {
  /** Deadlines that passed while the timer ran. */
  ticks: number;
  /** Ticks whose routes ran. */
  executions: number;
  /** Ticks not run: the previous execution was still going, or the timer woke too late for them. */
  missed: number;
  /** Route calls that threw or rejected. */
  errors: number;
  /** Route calls, errors included (executions × routes). */
  routeCalls: number;
}

/** One tick's run of a timer's routes. */
export interface Execution {
  readonly runtime: TimerRuntime;
  readonly tick: number;
  /** Index of the route running now, in the timer's routes. */
  route: number;
  /** stop() gave up waiting for it (grace period over); it may still finish on its own. */
  abandoned: boolean;
  /** It waits in a stop() one of its routes called: stop() calls do not wait for it meanwhile. */
  waitingInStop: boolean;
  /** The first route's context, built by prepare() before the call; used once. */
  first: RouteCall | null;
}

const hrtime = process.hrtime.bigint;

// Which execution a route's code runs in, so that stop() called from a route does not wait for
// the very execution that awaits it. The synchronous part of every route call is marked with a
// plain variable (free); async continuations need AsyncLocalStorage, which is used only for timers
// with async routes, since on Node < 24 it puts a hook on every promise of the process.
const executions = new AsyncLocalStorage<Execution>();
let syncCurrent: Execution | null = null;

/** The route execution this code runs in (also in its async continuations), if any. */
export function callingExecution(): Execution | undefined {
  return syncCurrent ?? executions.getStore();
}

const isAsyncFunction = (fn: Route) => Object.prototype.toString.call(fn) === '[object AsyncFunction]';

/**
 * Runs one timer's routes for a tick, in declaration order, and keeps its counters. Sync routes
 * stay synchronous (no promise per tick); the first thenable switches the rest of the tick to async.
 * Nothing a route does (throw anything, reject with anything, a throwing 'error' listener) escapes
 * from run() or leaves an execution marked in flight.
 */
export class TimerRuntime {
  readonly counters: TimerCounters = { ticks: 0, executions: 0, missed: 0, errors: 0, routeCalls: 0 };
  readonly lateness = new Histogram();
  readonly duration = new Histogram();
  /** Executions stop() stopped waiting for after its grace period. */
  abandoned = 0;
  /** Set while an async execution is in flight; never rejects. */
  inFlight: Promise<void> | null = null;
  /** The async execution in flight, with inFlight. */
  execution: Execution | null = null;
  /** Whether executions run inside AsyncLocalStorage (see callingExecution). */
  #contextual: boolean;

  constructor(
    readonly config: TimerConfig,
    private readonly routes: readonly Route[],
    private readonly worker: number,
    private readonly onError: (err: RTimerRouteError) => void,
    /** False when the native engine measures lateness itself, before the call into JS. */
    private readonly recordLateness = true,
  ) {
    this.#contextual = routes.some(isAsyncFunction);
  }

  get name(): string { return this.config.name; }

  /** Returns a promise only when a route returned one; the promise never rejects. */
  run(tick: number, scheduled: bigint, started: bigint): Promise<void> | undefined {
    return this.call(this.prepare(tick, scheduled), scheduled, started);
  }

  /**
   * Builds a tick's execution and its first route's context without calling anything: precision
   * mode does this before it spins to the deadline, so only the call itself runs after it.
   */
  prepare(tick: number, scheduled: bigint): Execution {
    const exec: Execution = { runtime: this, tick, route: 0, abandoned: false, waitingInStop: false, first: null };
    if (this.routes.length > 0) exec.first = this.#context(exec, 0, scheduled, scheduled);
    return exec;
  }

  /** Runs a prepared tick that started at `started`: as run() does. */
  call(exec: Execution, scheduled: bigint, started: bigint): Promise<void> | undefined {
    this.counters.executions++;
    if (this.recordLateness) this.lateness.record(Number(started - scheduled));
    return this.#contextual ? executions.run(exec, () => this.#run(exec, scheduled, started)) : this.#run(exec, scheduled, started);
  }

  /** Stops counting `exec` as in flight (stop()'s grace period is over). */
  abandon(exec: Execution): void {
    if (this.execution !== exec) return;
    exec.abandoned = true;
    this.abandoned++;
    this.execution = null;
    this.inFlight = null;
  }

  #run(exec: Execution, scheduled: bigint, started: bigint): Promise<void> | undefined {
    for (let i = 0; i < this.routes.length; i++) {
      const result = this.#call(exec, i, scheduled, i === 0 ? started : hrtime());
      if (result !== undefined) {
        // A plain function returned a promise: later executions get the context from their start.
        this.#contextual = true;
        const p = this.#finishAsync(exec, result, i + 1, scheduled, started);
        this.execution = exec;
        this.inFlight = p;
        return p;
      }
    }
    this.duration.record(Number(hrtime() - started));
    return undefined;
  }

  #context(exec: Execution, i: number, scheduled: bigint, started: bigint): RouteCall {
    return new RouteCall(this.config.name, this.config.routes[i], this.worker, exec.tick, scheduled, started);
  }

  #call(exec: Execution, i: number, scheduled: bigint, started: bigint): PromiseLike<unknown> | undefined {
    const route = this.config.routes[i];
    let ctx: RouteContext;
    if (i === 0 && exec.first !== null) {
      exec.first.started = started;
      ctx = exec.first;
      exec.first = null;
    } else {
      ctx = this.#context(exec, i, scheduled, started);
    }
    this.counters.routeCalls++;
    exec.route = i;
    const outer = syncCurrent;
    syncCurrent = exec;
    try {
      const r = this.routes[i]('rtimer', ctx);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(r as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#fail(route, err));
      }
    } catch (err) {
      this.#fail(route, err);
    } finally {
      syncCurrent = outer;
    }
    return undefined;
  }

  async #finishAsync(exec: Execution, first: PromiseLike<unknown>, next: number, scheduled: bigint, started: bigint): Promise<void> {
    try {
      await first;
      for (let i = next; i < this.routes.length && !exec.abandoned; i++) {
        const r = this.#call(exec, i, scheduled, hrtime());
        if (r !== undefined) await r;
      }
      if (!exec.abandoned) this.duration.record(Number(hrtime() - started));
    } catch (err) {
      throwLater(err); // a bug of ours: surface it, but never leave the execution in flight
    } finally {
      if (this.execution === exec) {
        this.execution = null;
        this.inFlight = null;
      }
    }
  }

  /** Counts and reports once. A throwing 'error' listener surfaces as uncaught on the next tick. */
  #fail(route: string, err: unknown): void {
    this.counters.errors++;
    try {
      this.onError(new RTimerRouteError(this.config.name, route, this.worker, err));
    } catch (thrown) {
      throwLater(thrown);
    }
  }
}
