import { EventEmitter } from 'node:events';
import { RTimerConfig } from './config/config.js';
import { clusterOption, rtimerOptions, type RTimerOptions } from './config/rtimer-options.js';
import type { ExecSpec, TimerConfig, TimerSpec } from './config/types.js';
import { listTimers } from './ctl/info.js';
import { listen as listenCtl, type CtlServer, type ListenOptions } from './ctl/server.js';
import type { Controllable, TimerInfo, TriggerVerb } from './ctl/types.js';
import { ErrorPrinter } from './error-printer.js';
import { RTimerError, stoppedError, throwLater, warnOnce } from './errors.js';
import type { RTimerErrorEvent, RTimerEvents } from './events.js';
import type { ControlVerb } from './process/protocol.js';
import type { RouteState, RoutesSource } from './route/routes.js';
import { controlTimer, findTimer, triggerVerb } from './schedule/control.js';
import { callingExecution } from './schedule/runtime.js';
import { SharedScheduler, type SchedulerClock } from './schedule/shared-scheduler.js';
import { startTimers, type StartHost } from './schedule/start.js';
import { stopTimers, type Halted } from './schedule/stop.js';
import type { TimerParts } from './schedule/timer-parts.js';
import { virtualHost } from './schedule/virtual-host.js';
import { collectStats } from './stats/collect.js';
import type { TimerStats } from './stats/timer-stats.js';

export type { TimerStats, RTimerOptions };

const QUIET_STATS = Symbol.for('node-rtimer.quietStats');

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

type Listener<K extends keyof RTimerEvents> = (...args: RTimerEvents[K]) => void;

/** Typed events (see RTimerEvents); the methods are EventEmitter's. */
export interface RTimer<S extends object = RouteState> {
  on<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  once<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  off<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  addListener<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  removeListener<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  prependListener<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  prependOnceListener<K extends keyof RTimerEvents>(event: K, listener: Listener<K>): this;
  emit<K extends keyof RTimerEvents>(event: K, ...args: RTimerEvents[K]): boolean;
}

/**
 * Kamailio's rtimer module for Node: named timers that run routes, without drift. `S` types the
 * routes' `ctx.state` (`new RTimer<{ sent: number }>({ routes })`).
 */
export class RTimer<S extends object = RouteState> extends EventEmitter implements Controllable {
  readonly config: RTimerConfig;
  readonly #printer = new ErrorPrinter();
  readonly #parts: TimerParts;
  #state: State = 'idle';
  #refed = true;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  /** Settles when nothing runs any more but executions in flight; then waits for those. */
  #halted: Promise<Halted> | null = null;
  readonly #stopGraceMs: number;
  /** Control sockets opened with listen(); closed by stop(). */
  readonly #servers = new Set<Promise<CtlServer>>();
  /** Settles when stop() is called: start() stops waiting for start routes then. */
  #stopCalled!: () => void;
  readonly #stopSignal = new Promise<void>((r) => { this.#stopCalled = r; });
  /** What start() needs of this RTimer. */
  readonly #host: StartHost;

  constructor(options: RTimerOptions<S> = {}) {
    super();
    const { supervisor, stopGraceMs } = rtimerOptions(options);
    this.#stopGraceMs = stopGraceMs;
    this.config = options.config ?? new RTimerConfig();
    if (options.defaultInterval !== undefined) this.config.setDefaultInterval(options.defaultInterval);
    const virtual = virtualHost(options.clock);
    this.#parts = { scheduler: new SharedScheduler(virtual?.scheduler ?? options.clock as SchedulerClock | undefined), virtual,
      resolved: null, runtimes: [], runners: new Map(), processes: [], anchors: new Map(), cluster: null };
    this.#host = {
      owner: this, supervisor, stopGraceMs, stopSignal: this.#stopSignal,
      // S only types the routes for the caller; kept untyped so an RTimer<S> is an RTimer anywhere.
      routes: options.routes as RoutesSource | undefined,
      cluster: clusterOption(options, virtual !== undefined),
      starting: () => this.#state === 'starting', refed: () => this.#refed, reportError: (err) => this.#reportError(err),
      emit: (event, payload) => { try { this.emit(event as keyof RTimerEvents, payload as never); } catch (err) { throwLater(err); } },
    };
  }

  /** Declares a timer: `"name=ta;mode=0;interval=10"` or `{ name, interval, mode, ... }`. */
  timer(spec: string | TimerSpec): this {
    this.#assertIdle('timer()');
    this.config.timer(spec);
    return this;
  }

  /** Attaches a route to a timer: `"timer=ta;route=ONTIMER"` or `{ timer, route }`. */
  exec(spec: string | ExecSpec): this {
    this.#assertIdle('exec()');
    this.config.exec(spec);
    return this;
  }

  /** The resolved timers, in declaration order, routes in execution order: copies, changing them changes nothing. */
  timers(): TimerConfig[] { return this.#parts.resolved ? structuredClone(this.#parts.resolved) : this.config.resolve(); }

  /** What timers() returns, without the copy: never handed out. */
  #timerList(): TimerConfig[] { return this.#parts.resolved ?? this.config.resolve(); }

  get state(): State { return this.#state; }

  /** Resolves once every timer is armed; rejects (and leaves nothing running) if any cannot be. */
  start(): Promise<void> {
    if (this.#state === 'running' || this.#state === 'starting') {
      warnOnce(this, 'RTIMER_START_TWICE', `start() called while the RTimer is ${this.#state}: the call does nothing more`);
      return this.#state === 'running' ? Promise.resolve() : this.#starting!;
    }
    if (this.#state !== 'idle') return Promise.reject(stoppedError());
    // Not ours to thaw if it came frozen (e.g. a configuration another RTimer runs).
    const froze = !this.config.frozen;
    this.config.freeze();
    this.#state = 'starting';
    this.#starting = startTimers(this.#parts, this.config, this.#host).then(() => {
      if (this.#state !== 'starting') throw stoppedError(); // stop() came before every timer was armed
      this.#state = 'running';
    }, async (err: unknown) => {
      await this.#parts.cluster?.close().catch(() => undefined);
      // Once stop() was called the RTimer never goes back to idle: stop() makes it 'stopped'.
      if (this.#state === 'starting') {
        this.#state = 'idle';
        this.#parts.resolved = null;
        if (froze) this.config.unfreeze();
      }
      throw err;
    });
    return this.#starting;
  }

  /**
   * Cancels every timer; resolves when routes in flight have finished or, past `stopGraceMs`, been
   * abandoned. Safe to call any time, twice, and from a route: there it does not wait for the
   * calling execution (which waits for it); the state becomes 'stopped' once that route returned.
   */
  stop(): Promise<void> {
    const caller = callingExecution();
    const own = caller && this.#parts.runtimes.includes(caller.runtime) ? caller : undefined;
    if (!this.#stopping) {
      if (this.#state === 'idle' || this.#state === 'stopped') {
        this.#state = 'stopped';
        return Promise.all(this.#closeServers()).then(() => undefined);
      }
      const wasStarting = this.#starting;
      this.#state = 'stopping';
      this.#stopCalled();
      ({ halted: this.#halted, stopped: this.#stopping } = stopTimers(this.#parts, {
        starting: wasStarting, stopGraceMs: this.#stopGraceMs, closeServers: () => this.#closeServers(),
        reportError: (err) => this.#reportError(err), stopped: () => { this.#state = 'stopped'; },
      }));
      // On virtual time nothing else may move the clock through a grace period.
      void this.#parts.virtual?.drive(this.#stopping);
    }
    if (!own) return this.#stopping;
    return this.#halted!.then(async ({ drain, processes }) => { await Promise.all([drain.except(own), processes]); });
  }

  #closeServers(): Promise<unknown>[] {
    return [...this.#servers].map((s) => s.then((srv) => srv.close(), () => undefined));
  }

  /** Like a Node timer: a running RTimer keeps the process alive unless unref()'d. */
  ref(): this { return this.#setRef(true); }
  unref(): this { return this.#setRef(false); }

  #setRef(on: boolean): this {
    this.#refed = on;
    for (const t of [this.#parts.scheduler, ...this.#parts.runners.values(), ...this.#parts.processes]) {
      if (on) t.ref(); else t.unref();
    }
    return this;
  }

  hasRef(): boolean { return this.#refed; }

  /** Per timer, in declaration order: counters, lateness and duration histograms (ns). */
  stats(): TimerStats[] {
    if (this.#state === 'idle') warnOnce(this, 'RTIMER_STATS_BEFORE_START', 'stats() before start(): no timer runs yet, every figure is empty');
    return this.#collect();
  }

  /** @internal stats() without its before-start warning: for the metrics collector of any copy of the package. */
  [QUIET_STATS](): TimerStats[] { return this.#collect(); }

  #collect(): TimerStats[] { return collectStats(this.#parts, this.#state === 'stopped' || this.#state === 'idle'); }

  /** Every timer with its state, mode, interval, workers, next deadline and counters (plain JSON). */
  list(): TimerInfo[] {
    return listTimers(this.#parts, this.#timerList(), this.#collect(), this.#state === 'running');
  }

  /** Pauses a timer: no route runs, its deadlines stay on their grid and count as `paused`. */
  pause(name: string): Promise<void> { return this.#control(name, 'pause'); }

  /** Resumes a paused timer at its next deadline, in phase. */
  resume(name: string): Promise<void> { return this.#control(name, 'resume'); }

  /** resume() under the control socket's (and ptimer's) name. */
  continue(name: string): Promise<void> { return this.#control(name, 'resume'); }

  /** The next deadline of a running timer as a Date (croner's nextRun()); null when none is due. */
  nextRun(name: string): Date | null {
    const t = findTimer(this.#timerList(), name);
    const next = this.list().find((x) => x.name === t.name)?.nextDeadline ?? null;
    return next === null ? null : new Date(next);
  }

  /**
   * ptimer's jumps: `start` runs the start route again with a fresh ctx.state (then the loop),
   * `loop` resumes the loop as it was, `end` runs the end route (then `ended`); `tick` runs the tick
   * routes once now, outside the schedule (counted in `triggered`). In mode=N, on every worker.
   */
  async trigger(name: string, verb: TriggerVerb): Promise<void> { return this.#control(name, triggerVerb(verb)); }

  /** Opens a JSON-RPC 2.0 control socket (see lib/ctl) driving this RTimer; stop() closes it. */
  async listen(options: ListenOptions): Promise<CtlServer> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      throw new RTimerError('ERR_RTIMER_STOPPED', 'this RTimer was stopped; it takes no control socket');
    }
    const opening = listenCtl(this, options);
    this.#servers.add(opening);
    opening.catch(() => this.#servers.delete(opening));
    const server = await opening;
    if (!this.#refed) server.unref();
    return server;
  }

  #assertIdle(what: string): void {
    if (this.#state !== 'idle') {
      throw new RTimerError('ERR_RTIMER_RUNNING', `${what} is only allowed before start() (state: ${this.#state})`);
    }
  }

  /** Async: an unknown name rejects, as every control call does. */
  async #control(name: string, verb: ControlVerb): Promise<void> {
    return controlTimer(this.#parts, findTimer(this.#timerList(), name), verb, this.#state);
  }

  /** Never throws: a throwing 'error' listener surfaces as uncaught on the next tick, after our bookkeeping. */
  #reportError(err: RTimerErrorEvent): void {
    try {
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else this.#printer.print(err);
    } catch (thrown) {
      throwLater(thrown);
    }
  }
}
