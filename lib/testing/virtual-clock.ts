import { clearTimeout as nodeClearTimeout, setImmediate as nodeSetImmediate, setTimeout as nodeSetTimeout } from 'node:timers';
import type { TimerConfig } from '../config/types.js';
import { parseDurationMs } from '../config/interval.js';
import { RTimerConfigError, RTimerError } from '../errors.js';
import { spendNs, type SpendDuration } from '../route/spend.js';
import { LoopPhase, SimulatedLoop, type LoopClock } from '../schedule/simulated-loop.js';
import { callingExecution, type TimerRuntime } from '../schedule/runtime.js';
import { VIRTUAL_HOST, type VirtualHost, type VirtualTime } from '../schedule/virtual-host.js';
import { EventQueue, type VirtualEvent } from './event-queue.js';
import { SimulatedProcessTimer } from './simulated-processes.js';

// Node's own timers, taken when this module loads: fake timers installed later (@sinonjs/fake-timers,
// node:test's mock.timers) replace the globals, and must not stop the clock from waiting for real work.
const realImmediate = nodeSetImmediate;
const realSetTimeout = nodeSetTimeout;
const realClearTimeout = nodeClearTimeout;
const realNextTick = process.nextTick;

export interface VirtualClockOptions {
  /**
   * Where time starts: a bigint is the monotonic clock in ns (ctx.scheduled's clock, default 0n); a
   * Date or a number of ms since the epoch sets the wall clock (default the epoch), which
   * `align: 'realtime'` timers anchor on.
   */
  start?: bigint | Date | number;
  /**
   * Real ms to wait for a route that awaits something other than virtual time (I/O, a real timer)
   * before tick() rejects naming it (default 2000). stop() waits as long, then lets virtual time run
   * to the end of its grace period.
   */
  pendingMs?: number;
}

export interface RunUntilOptions {
  /** The most virtual time to run (ms or a duration string, default `'1h'`); past it runUntil() rejects. */
  max?: number | string;
}

/** A duration for the clock's verbs: ms as a number, or `'100ms'`, `'1s'`, `'1h'`. */
export type VirtualDuration = number | string;

const STUCK = Symbol('stuck');
/** A turn of the event loop: I/O callbacks and real timers run. */
const turn = () => new Promise<void>((resolve) => { realImmediate(resolve); });
/**
 * After every promise job queued so far and the jobs they queue (Node runs a nextTick once V8's
 * job queue is empty): what the routes started without leaving the process, e.g. a control verb
 * a route called, is done. Far cheaper than a turn of the event loop, which an hour of virtual
 * time would pay tens of thousands of times.
 */
const drain = () => new Promise<void>((resolve) => { realNextTick(resolve); });

function durationNs(d: VirtualDuration, what: string): bigint {
  let ms: number;
  if (typeof d === 'number') ms = d;
  else if (typeof d === 'string') ms = parseDurationMs(d);
  else throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `${what} takes ms as a number or a duration string, got ${typeof d}`);
  if (!Number.isFinite(ms) || ms < 0) throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `${what}: ${d} is not a duration`);
  return BigInt(Math.round(ms * 1e6));
}

const msText = (ns: bigint): string => `${Number(ns) / 1e6} ms`;

/**
 * Virtual time for RTimers: `new RTimer({ routes, clock })` runs every timer of that RTimer — mode 0,
 * inline (the native engine's semantics, simulated) and mode=N (the workers simulated in this
 * process) — on this clock, which only moves when the test says so. Verbs as in
 * @sinonjs/fake-timers: tick(), next(), runUntil(), now(); routes are awaited in virtual order.
 */
export class VirtualClock implements VirtualTime {
  #now: bigint;
  readonly #mono0: bigint;
  readonly #wall0Ms: number;
  readonly #pendingMs: number;
  readonly #events = new EventQueue();
  readonly #tracked = new Map<TimerRuntime, number>();
  /** Simulated workers' own spend(): their time, not this clock's. */
  readonly #spenders = new WeakMap<TimerRuntime, (d: SpendDuration) => void>();
  /** Settles when the verb driving time now is done: verbs run one after the other. */
  #driving: Promise<unknown> = Promise.resolve();
  #active = false;
  readonly #loopClock: LoopClock;
  #loop: SimulatedLoop | null = null;
  readonly #host: VirtualHost;

  constructor(options: VirtualClockOptions = {}) {
    const { start, pendingMs = 2000 } = options;
    if (!Number.isInteger(pendingMs) || pendingMs < 1 || pendingMs > 2 ** 31 - 1) {
      throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `pendingMs must be a whole number of ms from 1, got ${pendingMs}`);
    }
    this.#pendingMs = pendingMs;
    if (typeof start === 'bigint') {
      if (start < 0n) throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `start must not be negative, got ${start}n`);
      this.#mono0 = start;
      this.#wall0Ms = 0;
    } else {
      const ms = start === undefined ? 0 : start instanceof Date ? start.getTime() : start;
      if (typeof ms !== 'number' || !Number.isFinite(ms)) {
        throw new RTimerError('ERR_RTIMER_OPTION_INVALID', 'start must be a bigint (ns), a Date or ms since the epoch');
      }
      this.#mono0 = 0n;
      this.#wall0Ms = ms;
    }
    this.#now = this.#mono0;
    this.#loopClock = {
      now: () => this.#now,
      spinTo: (t) => { if (t > this.#now) this.#now = t; },
      at: (t, phase, fn) => this.#events.add(t, phase, fn),
      cancel: (h) => { (h as VirtualEvent).cancelled = true; },
    };
    this.#host = this.#makeHost();
  }

  /** Virtual monotonic time in ms (ctx.scheduled / 1e6). */
  now(): number { return Number(this.#now) / 1e6; }

  /** Virtual monotonic time in ns: the clock of ctx.scheduled and ctx.started. */
  hrtime(): bigint { return this.#now; }

  /** The virtual wall clock. */
  date(): Date { return new Date(this.#wallMs()); }

  /**
   * Makes the calling route take `d` of virtual time, as ctx.spend(d) does: in a mode=N worker's
   * route, that worker's time only.
   */
  spend(d: SpendDuration): void {
    const rt = callingExecution()?.runtime;
    const own = rt === undefined ? undefined : this.#spenders.get(rt);
    if (own !== undefined) own(d);
    else this.#now += spendNs(d);
  }

  /**
   * Moves time on by `d`, running every deadline on the way in order and awaiting the routes each
   * started (async routes in virtual order). Resolves with now(). Rejects naming a route that stays
   * pending for pendingMs of real time.
   */
  tick(d: VirtualDuration): Promise<number> {
    const ns = durationNs(d, 'tick()');
    return this.#exclusive(async () => {
      const target = this.#now + ns;
      await this.#runTo(target);
      if (this.#now < target) this.#now = target;
      return this.now();
    });
  }

  /** Moves time to the next deadline and runs what is due then; resolves with now(). */
  next(): Promise<number> {
    return this.#exclusive(async () => {
      await this.#settle(true);
      const e = this.#events.peek();
      if (e !== undefined) await this.#runTo(e.at > this.#now ? e.at : this.#now, true);
      return this.now();
    });
  }

  /**
   * Runs deadline after deadline until `pred()` is true (checked after each); rejects when `max`
   * of virtual time passed first, or nothing is left to run, naming the virtual time reached.
   */
  runUntil(pred: () => boolean, options: RunUntilOptions = {}): Promise<number> {
    if (typeof pred !== 'function') return Promise.reject(new RTimerError('ERR_RTIMER_OPTION_INVALID', 'runUntil() takes a function'));
    const maxNs = durationNs(options.max ?? '1h', 'runUntil() max');
    return this.#exclusive(async () => {
      const from = this.#now;
      const limit = from + maxNs;
      for (;;) {
        await this.#settle(true);
        if (pred()) return this.now();
        const e = this.#events.peek();
        if (e === undefined || e.at > limit) {
          if (e !== undefined) this.#now = limit;
          throw new RTimerError('ERR_RTIMER_VIRTUAL_MAX', `runUntil(): the condition was still false at virtual time ${msText(this.#now)} ` +
            `(${msText(this.#now - from)} after it began${e === undefined ? ', nothing left to run' : `, max ${msText(maxNs)}`})`);
        }
        await this.#runTo(e.at > this.#now ? e.at : this.#now, true);
      }
    });
  }

  get [VIRTUAL_HOST](): VirtualHost { return this.#host; }

  #wallMs(): number { return this.#wall0Ms + Number(this.#now - this.#mono0) / 1e6; }

  #exclusive<T>(verb: () => Promise<T>): Promise<T> {
    const run = this.#driving.then(async () => {
      this.#active = true;
      try { return await verb(); } finally { this.#active = false; }
    });
    this.#driving = run.catch(() => undefined);
    return run;
  }

  /** Runs events up to `target` (or only those at the first time due, `once`), settling routes between times. */
  async #runTo(target: bigint, once = false): Promise<void> {
    for (;;) {
      await this.#settle(true);
      const e = this.#events.peek();
      if (e === undefined || e.at > target) return;
      this.#runAt(e.at);
      if (once) { await this.#settle(true); return; }
    }
  }

  /**
   * Runs every event due by `at` (and any they add for then), in order. What a route's spend() made
   * due meanwhile waits for the next round, after the routes in flight settled.
   */
  #runAt(at: bigint): void {
    if (at > this.#now) this.#now = at;
    for (let e = this.#events.peek(); e !== undefined && e.at <= at; e = this.#events.peek()) {
      this.#events.take();
      e.fn();
    }
  }

  /**
   * Lets real work run (promise jobs, I/O callbacks) and waits for every route in flight. A route
   * pending past pendingMs of real time: an error naming it (`raise`), or true.
   */
  async #settle(raise: boolean): Promise<boolean> {
    await drain();
    for (;;) {
      let any = false;
      for (const rt of this.#tracked.keys()) if (rt.inFlight !== null) { any = true; break; }
      if (!any) return false;
      const pending = [...this.#tracked.keys()].filter((rt) => rt.inFlight !== null);
      if (await this.#stuck(pending.map((rt) => rt.inFlight))) {
        if (!raise) return true;
        throw new RTimerError('ERR_RTIMER_VIRTUAL_PENDING', `at virtual time ${msText(this.#now)}, ${pending.map((rt) => this.#describe(rt)).join(', ')} ` +
          `still pending after ${this.#pendingMs} ms of real time: a route awaiting real I/O or a promise that never settles ` +
          '(virtual time does not move while a route awaits; use ctx.spend() for time a route takes)');
      }
      await turn();
    }
  }

  /** Whether none of `work` settled within pendingMs of real time. */
  async #stuck(work: readonly unknown[]): Promise<boolean> {
    let guard: ReturnType<typeof realSetTimeout> | undefined;
    const stuck = new Promise<typeof STUCK>((resolve) => { guard = realSetTimeout(resolve, this.#pendingMs, STUCK); });
    try {
      return await Promise.race([...work, stuck]) === STUCK;
    } finally { realClearTimeout(guard); }
  }

  #describe(rt: TimerRuntime): string {
    const e = rt.execution;
    const route = e === null ? '?' : e.on === 'start' ? rt.config.start : e.on === 'end' ? rt.config.end : rt.config.routes[e.route];
    const worker = this.#tracked.get(rt) ?? 0;
    return `route "${route}" of timer "${rt.name}"${typeof rt.config.mode === 'number' && rt.config.mode > 0 ? ` (worker ${worker})` : ''}`;
  }

  /**
   * start() waiting for start routes: they run before any deadline, so no verb drives them and
   * nothing else would notice one that never settles.
   */
  async #starting(done: Promise<unknown>, runtimes: readonly TimerRuntime[]): Promise<void> {
    if (!await this.#stuck([done])) return;
    const pending = runtimes.filter((rt) => rt.inFlight !== null);
    const named = pending.length ? pending.map((rt) => this.#describe(rt)).join(', ')
      : `the start routes of ${runtimes.map((rt) => `timer "${rt.name}"`).join(', ')}`;
    // A failed start() leaves nothing running: its routes no longer hold up tick().
    for (const rt of runtimes) this.#tracked.delete(rt);
    throw new RTimerError('ERR_RTIMER_VIRTUAL_PENDING', `start(): at virtual time ${msText(this.#now)}, ${named} ` +
      `still pending after ${this.#pendingMs} ms of real time: a start route awaiting real I/O or a promise that never settles ` +
      '(virtual time does not move while a route awaits; use ctx.spend() for time a route takes)');
  }

  /** stop() waiting out its grace period: time moves only when a route stays pending. */
  async #drive(done: Promise<unknown>): Promise<void> {
    if (this.#active) return;
    let finished = false;
    const settled = done.then(() => { finished = true; }, () => { finished = true; });
    await this.#exclusive(async () => {
      for (;;) {
        const stuck = await this.#settle(false);
        if (finished) return;
        const e = this.#events.peek();
        if (!stuck || e === undefined) { await settled; return; }
        this.#runAt(e.at > this.#now ? e.at : this.#now);
      }
    });
  }

  #makeHost(): VirtualHost {
    const at = (t: bigint, fn: () => void): object => this.#events.add(t, LoopPhase.Timers, fn);
    const cancel = (h: unknown) => { if (h) (h as VirtualEvent).cancelled = true; };
    const msNs = (ms: number) => BigInt(Math.max(0, Math.round(ms))) * 1_000_000n;
    return {
      scheduler: { now: () => this.#now, at, setTimer: (ms, fn) => at(this.#now + msNs(ms), fn), clearTimer: cancel },
      grace: { set: (ms, fn) => at(this.#now + msNs(ms), fn), clear: cancel, now: () => Number(this.#now) / 1e6 },
      now: () => this.#now,
      wallMs: () => this.#wallMs(),
      realtimeOffset: () => BigInt(Math.round(this.#wall0Ms * 1e6)) - this.#mono0,
      spend: (d) => this.spend(d),
      check: (timers) => checkTimers(timers),
      track: (rt, worker = 0, spend) => {
        this.#tracked.set(rt, worker);
        if (spend !== undefined) this.#spenders.set(rt, spend);
      },
      untrack: (rt) => { this.#tracked.delete(rt); },
      inline: (rt) => (this.#loop ??= new SimulatedLoop(this.#loopClock)).timer(rt),
      dedicated: (config, url, graceMs, emit) =>
        new SimulatedProcessTimer(config, url, graceMs, emit, this.#host, this.#loopClock),
      drive: (done) => this.#drive(done),
      starting: (done, runtimes) => this.#starting(done, runtimes),
    };
  }
}

/** What only real time has: a clear error rather than a simulation that would pretend. */
function checkTimers(timers: readonly TimerConfig[]): void {
  for (const t of timers) {
    const r = t.realtime;
    const asked = [
      t.thread === 'own' ? "thread: 'own'" : null,
      r.priority !== undefined ? `priority ${r.priority}` : null,
      r.schedPolicy !== undefined ? `schedPolicy '${r.schedPolicy}'` : null,
      r.cpus !== undefined ? `cpus [${r.cpus.join(', ')}]` : null,
      r.lockMemory ? 'lockMemory' : null,
    ].filter((x): x is string => x !== null);
    if (asked.length) {
      throw new RTimerConfigError('ERR_RTIMER_VIRTUAL_REALTIME',
        `timer "${t.name}" asks for ${asked.join(', ')}, which only a real clock has: a VirtualClock runs no threads ` +
        '(drop these options in the test configuration)', { text: asked[0], ...t.source });
    }
  }
}
