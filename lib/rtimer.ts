import { EventEmitter } from 'node:events';
import { RTimerConfig } from './config/config.js';
import type { ExecSpec, TimerConfig, TimerSpec } from './config/types.js';
import { RTimerConfigError, RTimerError, RTimerRouteError, RTimerStopGraceError, throwLater, warnOnce } from './errors.js';
import { isModuleSource, loadRoutes, moduleUrl, relativeHint, resolveRoutes, type Route, type RouteState, type RoutesSource } from './route/routes.js';
import { callingExecution, TimerRuntime, type Execution } from './schedule/runtime.js';
import { StopDrain } from './schedule/stop-drain.js';
import type { TimerParts } from './schedule/timer-parts.js';
import { SharedScheduler, type SchedulerClock } from './schedule/shared-scheduler.js';
import { collectStats } from './stats/collect.js';
import { NativeRunner, rehearse } from './schedule/native-runner.js';
import { ProcessTimer, type SupervisorOptions } from './process/supervisor.js';
import { rtimerOptions, type RTimerOptions } from './config/rtimer-options.js';
import { binding } from './native/binding.js';
import { firstFailure } from './process/settle.js';
import { ErrorPrinter } from './error-printer.js';
import { inlineAnchors } from './schedule/phase.js';
import type { RTimerErrorEvent, RTimerEvents } from './events.js';
import { controlTimer, findTimer, triggerVerb } from './schedule/control.js';
import type { ControlVerb } from './process/protocol.js';
import type { LoopStateChange } from './schedule/lifecycle.js';
import { listen as listenCtl, type CtlServer, type ListenOptions } from './ctl/server.js';
import { type Controllable, type TimerInfo, type TriggerVerb } from './ctl/types.js';
import { listTimers } from './ctl/info.js';
import type { TimerStats } from './stats/timer-stats.js';
import { virtualHost, type InlineRunner } from './schedule/virtual-host.js';
import { Cluster } from './cluster/cluster.js';
import { clusterError } from './cluster/etcd.js';
import { clusterSettings, type ClusterSettings } from './cluster/options.js';

export type { TimerStats, RTimerOptions };

const QUIET_STATS = Symbol.for('node-rtimer.quietStats');

function stoppedError(): RTimerError {
  return new RTimerError('ERR_RTIMER_STOPPED', 'this RTimer was stopped; create a new one to start again');
}

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
  readonly #routes: RoutesSource | undefined;
  readonly #printer = new ErrorPrinter();
  readonly #parts: TimerParts;
  #state: State = 'idle';
  readonly #supervisor: SupervisorOptions;
  #refed = true;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  /** Settles when nothing runs any more but executions in flight; then waits for those. */
  #halted: Promise<{ drain: StopDrain; processes: Promise<unknown> }> | null = null;
  readonly #stopGraceMs: number;
  /** Control sockets opened with listen(); closed by stop(). */
  readonly #servers = new Set<Promise<CtlServer>>();
  /** Settles when stop() is called: start() stops waiting for start routes then. */
  #stopCalled!: () => void;
  readonly #stopSignal = new Promise<void>((r) => { this.#stopCalled = r; });
  readonly #clusterSettings: ClusterSettings | undefined;

  constructor(options: RTimerOptions<S> = {}) {
    super();
    ({ supervisor: this.#supervisor, stopGraceMs: this.#stopGraceMs } = rtimerOptions(options));
    this.config = options.config ?? new RTimerConfig();
    if (options.defaultInterval !== undefined) this.config.setDefaultInterval(options.defaultInterval);
    // S only types the routes for the caller; kept untyped so an RTimer<S> is an RTimer anywhere.
    this.#routes = options.routes as RoutesSource | undefined;
    const virtual = virtualHost(options.clock);
    this.#parts = { scheduler: new SharedScheduler(virtual?.scheduler ?? options.clock as SchedulerClock | undefined), virtual,
      resolved: null, runtimes: [], runners: new Map(), processes: [], anchors: new Map(), cluster: null };
    if (options.cluster !== undefined && virtual) {
      // Leases, elections and the wall-clock grid live in etcd, on real time: a simulation would pretend.
      throw new RTimerConfigError('ERR_RTIMER_VIRTUAL_CLUSTER',
        'the cluster option needs etcd and real time: a VirtualClock cannot run cluster timers (leave cluster out of the test\'s RTimer options)',
        { text: 'cluster' });
    }
    this.#clusterSettings = options.cluster === undefined ? undefined : clusterSettings(options.cluster);
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
    this.#starting = this.#start().then(() => {
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

  async #start(): Promise<void> {
    const timers = this.config.resolve();
    this.#parts.resolved = timers;
    const v = this.#parts.virtual;
    v?.check(timers);
    if (timers.length === 0) warnOnce(this, 'RTIMER_NO_TIMERS', 'start() with no timers declared: nothing will run');
    const idle = timers.filter((t) => t.routes.length === 0 && t.start === undefined && t.end === undefined);
    if (idle.length) {
      const names = idle.slice(0, 5).map((t) => `"${t.name}"`).join(', ') + (idle.length > 5 ? ` and ${idle.length - 5} more` : '');
      warnOnce(this, 'RTIMER_TIMER_NO_EXEC', `timer${idle.length > 1 ? 's' : ''} ${names} ` +
        `ha${idle.length > 1 ? 've' : 's'} no exec (no route): ${idle.length > 1 ? 'they tick' : 'it ticks'} and run${idle.length > 1 ? '' : 's'} nothing`);
    }
    this.#parts.cluster = Cluster.for(this.#clusterSettings, timers, (event, payload) => {
      try { this.emit(event, payload as never); } catch (err) { throwLater(err); }
    }, (err) => this.#reportError(err));
    const closures = this.#routes !== undefined && !isModuleSource(this.#routes);
    const dedicated = timers.filter((t) => typeof t.mode === 'number' && t.mode > 0);
    for (const t of dedicated) {
      if (closures || this.#routes === undefined) {
        throw new RTimerError('ERR_RTIMER_ROUTES_NOT_MODULE',
          `timer "${t.name}": mode=${t.mode} runs in dedicated timer processes, which cannot call functions defined ` +
          `in this process; give routes as a module path (routes: './routes.mjs') or use mode: 'inline' to run it here`);
      }
    }
    // Routes of this process's timers are checked first: a missing one fails before any fork.
    const local = timers.filter((t) => t.mode === 0 || t.mode === 'inline');
    // A timer with only start/end routes still needs them: ptimer's start runs without a loop route.
    const withRoutes = local.filter((t) => t.routes.length > 0 || t.start !== undefined || t.end !== undefined);
    let found = new Map<string, Route>();
    if (withRoutes.length) {
      if (this.#routes === undefined) {
        throw new RTimerError('ERR_RTIMER_ROUTES_MISSING', `timer "${withRoutes[0].name}" has routes but no routes were given`);
      }
      // stop() does not wait for a slow import: start() rejects at once, the import ends unheeded.
      const loading = loadRoutes(this.#routes);
      loading.catch(() => undefined);
      const loaded = await Promise.race([loading, this.#stopSignal.then(() => null)]);
      if (loaded === null) throw stoppedError();
      found = resolveRoutes(loaded.routes, loaded.from, withRoutes);
    }
    if (this.#state !== 'starting') return; // stop() came while the routes module loaded
    if (this.#parts.cluster) {
      await Promise.race([this.#parts.cluster.start(), this.#stopSignal]);
      if (this.#state !== 'starting') return;
    }
    const onError = (err: RTimerRouteError) => this.#reportError(err);
    const hook = (r: string | undefined) => (r === undefined ? undefined : found.get(r));
    const clusterNow = binding.now();
    const clusterOffset = this.#parts.cluster ? binding.realtimeOffset() : 0n;
    const grids = new Map<TimerConfig, bigint>();
    this.#parts.runtimes = local.map((t) => {
      const c = t.cluster !== undefined ? this.#parts.cluster!.gate(t, clusterNow, clusterOffset) : undefined;
      if (c) grids.set(t, c.anchor);
      return new TimerRuntime(t, t.routes.map((r) => found.get(r)!), 0, onError, t.mode === 0, {
        start: hook(t.start), end: hook(t.end), onState: (ch) => this.#stateChanged(t.name, undefined, ch), gate: c?.gate,
        ...(v && { now: v.now, spend: v.spend }),
      });
    });
    for (const rt of this.#parts.runtimes) v?.track(rt);
    // ptimer's start, once per timer before its first tick (which comes one interval after the arm).
    // A start route that never returns does not hold stop() up: stop()'s grace period covers it.
    const begun = Promise.all(this.#parts.runtimes.map(async (rt) => { await rt.life.begin('start'); await rt.settled(); }));
    await Promise.race([v ? v.starting(begun, this.#parts.runtimes) : begun, this.#stopSignal]);
    if (this.#state !== 'starting') return;
    if (dedicated.length) await this.#startProcesses(dedicated);
    if (this.#state !== 'starting') return; // stop() came meanwhile; it stops the processes
    const runners: InlineRunner[] = [];
    try {
      // Warm start: the tick path runs dry before the first deadline, and its cost seeds the lead.
      const prepareNs = rehearse(this.#parts.runtimes.filter((rt) => rt.config.mode !== 0));
      for (const rt of this.#parts.runtimes) {
        if (rt.config.mode === 0) continue;
        const runner = v ? v.inline(rt) : new NativeRunner(rt, prepareNs);
        if (!this.#refed) runner.unref();
        runners.push(runner);
        this.#parts.runners.set(rt, runner);
      }
      // One anchor for all, so timers of one interval tick in phase unless phase/stagger/align say otherwise.
      const started = [...this.#parts.runners];
      const anchors = inlineAnchors(started.map(([, r]) => r.config), v ? v.now() : binding.now(), v ? v.realtimeOffset : binding.realtimeOffset);
      started.forEach(([rt, r], i) => {
        const anchor = grids.get(rt.config) ?? anchors[i]; // a cluster timer keeps the cluster's grid
        this.#parts.anchors.set(rt, anchor);
        r.start(anchor);
      });
    } catch (err) {
      await Promise.all([...runners.map((r) => r.stop()), ...this.#parts.processes.map((p) => p.stop())]);
      this.#parts.runners.clear();
      this.#parts.processes = [];
      throw err;
    }
    for (const rt of this.#parts.runtimes) if (rt.config.mode === 0) this.#parts.scheduler.add(rt, grids.get(rt.config));
    this.#parts.scheduler.start();
  }

  async #startProcesses(timers: TimerConfig[]): Promise<void> {
    const url = moduleUrl(this.#routes as string | URL);
    const emit = (event: string, payload: unknown) => {
      if (event === 'error') this.#reportError(payload as RTimerError);
      else if (event === 'timer-state') {
        const { timer, worker, ...c } = payload as LoopStateChange & { timer: string; worker: number };
        this.#stateChanged(timer, worker, c);
      }
      else try { this.emit(event as keyof RTimerEvents, payload as never); } catch (err) { throwLater(err); }
    };
    // Each its own copy: what a restarted worker is sent cannot be changed from outside.
    const v = this.#parts.virtual;
    this.#parts.processes = timers.map((t) => (v ? v.dedicated(structuredClone(t), url, this.#supervisor.stopGraceMs ?? this.#stopGraceMs, emit)
      : new ProcessTimer(structuredClone(t), url, this.#supervisor, emit)));
    if (!this.#refed) for (const p of this.#parts.processes) p.unref();
    const settle = async (steps: Promise<void>[]) => {
      let failure = await firstFailure(steps);
      if (failure === undefined) return;
      // The worker imports a URL; the path the user gave, and so the hint, is known here.
      const hint = (failure as RTimerError).code === 'ERR_RTIMER_ROUTES_LOAD' ? relativeHint(this.#routes) : '';
      if (hint) failure = new RTimerError('ERR_RTIMER_ROUTES_LOAD', `${(failure as Error).message} (${hint})`, { cause: failure });
      await Promise.all(this.#parts.processes.map((p) => p.stop()));
      this.#parts.processes = [];
      throw failure;
    };
    // Every process loads first, then all arm on one anchor, so the timers share a phase.
    await settle(this.#parts.processes.map((p) => p.load()));
    const anchor = v ? v.now() : binding.now();
    await settle(this.#parts.processes.map((p) => p.arm(anchor)));
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
        return Promise.all([...this.#servers].map((s) => s.then((srv) => srv.close(), () => undefined))).then(() => undefined);
      }
      const wasStarting = this.#starting;
      this.#state = 'stopping';
      this.#stopCalled();
      for (const rt of this.#parts.runtimes) rt.life.halted = true;
      // Resigns at once (synchronously no tick is ours any more): the next node leads in about an interval.
      const cluster = this.#parts.cluster?.close().catch((err: unknown) => this.#reportError(clusterError(err)));
      const servers = [...this.#servers].map((s) => s.then((srv) => srv.close(), () => undefined));
      // Workers still starting are killed now (start() rejects with ERR_RTIMER_STOPPED), not waited for.
      const aborting = this.#parts.processes.map((p) => p.stop());
      this.#halted = (async () => {
        await wasStarting?.catch(() => undefined);
        const processes = Promise.all([...aborting, ...this.#parts.processes.map((p) => p.stop())]);
        processes.catch(() => undefined); // awaited below, after the in-process timers halt
        this.#parts.scheduler.halt();
        await Promise.all([...this.#parts.runners.values()].map((r) => r.halt()));
        return { drain: new StopDrain(this.#parts.runtimes, this.#stopGraceMs, (e) => this.#abandoned(e), this.#parts.virtual?.grace), processes };
      })();
      this.#stopping = this.#halted.then(async ({ drain, processes }) => {
        await Promise.all([drain.all(), processes, ...servers, cluster]);
        // ptimer's end, once per timer after its last tick, unless a -1 already ran it.
        for (const rt of this.#parts.runtimes) void rt.life.finish('stop');
        // What the routes in flight left of the grace period: one stopGraceMs bounds the whole stop().
        await new StopDrain(this.#parts.runtimes, Math.max(0, this.#stopGraceMs - Math.ceil(drain.spentMs)), (e) => this.#abandoned(e),
          this.#parts.virtual?.grace).all();
        for (const rt of this.#parts.runtimes) this.#parts.virtual?.untrack(rt);
        this.#state = 'stopped';
      });
      // On virtual time nothing else may move the clock through a grace period.
      void this.#parts.virtual?.drive(this.#stopping);
    }
    if (!own) return this.#stopping;
    return this.#halted!.then(async ({ drain, processes }) => { await Promise.all([drain.except(own), processes]); });
  }

  #abandoned(e: Execution): void {
    const rt = e.runtime;
    const route = e.on === 'start' ? rt.config.start! : e.on === 'end' ? rt.config.end! : rt.config.routes[e.route];
    this.#reportError(new RTimerStopGraceError(rt.name, route, 0, this.#stopGraceMs));
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

  #stateChanged(timer: string, worker: number | undefined, c: LoopStateChange): void {
    try {
      this.emit('timer-state', { timer, ...(worker === undefined ? {} : { worker }), ...c });
    } catch (err) {
      throwLater(err);
    }
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
