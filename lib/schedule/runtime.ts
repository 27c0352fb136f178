import type { TimerConfig } from '../config/types.js';
import { RTimerRouteError } from '../errors.js';
import { nextFakedMessage } from '../route/fmsg.js';
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

const hrtime = process.hrtime.bigint;

/**
 * Runs one timer's routes for a tick, in declaration order, and keeps its counters. Sync routes
 * stay synchronous (no promise per tick); the first thenable switches the rest of the tick to async.
 */
export class TimerRuntime {
  readonly counters: TimerCounters = { ticks: 0, executions: 0, missed: 0, errors: 0, routeCalls: 0 };
  readonly lateness = new Histogram();
  readonly duration = new Histogram();
  /** Set while an async execution is in flight. */
  inFlight: Promise<void> | null = null;

  constructor(
    readonly config: TimerConfig,
    private readonly routes: readonly Route[],
    private readonly worker: number,
    private readonly onError: (err: RTimerRouteError) => void,
    /** False when the native engine measures lateness itself, before the call into JS. */
    private readonly recordLateness = true,
  ) {}

  get name(): string { return this.config.name; }

  /** Returns a promise only when a route returned one; the promise never rejects. */
  run(tick: number, scheduled: bigint, started: bigint): Promise<void> | undefined {
    this.counters.executions++;
    if (this.recordLateness) this.lateness.record(Number(started - scheduled));
    for (let i = 0; i < this.routes.length; i++) {
      const at = i === 0 ? started : hrtime();
      const result = this.#call(i, tick, scheduled, at);
      if (result !== undefined) {
        const p = this.#finishAsync(result, i + 1, tick, scheduled, started);
        this.inFlight = p;
        return p;
      }
    }
    this.duration.record(Number(hrtime() - started));
    return undefined;
  }

  #call(i: number, tick: number, scheduled: bigint, started: bigint): PromiseLike<unknown> | undefined {
    const route = this.config.routes[i];
    const ctx: RouteContext = { timer: this.config.name, route, worker: this.worker, tick, scheduled, started, msg: nextFakedMessage() };
    this.counters.routeCalls++;
    try {
      const r = this.routes[i]('rtimer', ctx);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(r as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#fail(route, err));
      }
    } catch (err) {
      this.#fail(route, err);
    }
    return undefined;
  }

  async #finishAsync(first: PromiseLike<unknown>, next: number, tick: number, scheduled: bigint, started: bigint): Promise<void> {
    await first;
    for (let i = next; i < this.routes.length; i++) {
      const r = this.#call(i, tick, scheduled, hrtime());
      if (r !== undefined) await r;
    }
    this.duration.record(Number(hrtime() - started));
    this.inFlight = null;
  }

  #fail(route: string, err: unknown): void {
    this.counters.errors++;
    this.onError(new RTimerRouteError(this.config.name, route, this.worker, err));
  }
}
