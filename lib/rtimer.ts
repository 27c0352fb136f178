import { EventEmitter } from 'node:events';
import { RTimerConfig } from './config/config.js';
import type { ExecSpec, TimerConfig, TimerSpec } from './config/types.js';
import { didYouMean, RTimerConfigError, RTimerError, RTimerRouteError, RTimerStopGraceError, throwLater, warnOnce } from './errors.js';
import { isModuleSource, loadRoutes, moduleUrl, relativeHint, resolveRoutes, type Route, type RouteState, type RoutesSource } from './route/routes.js';
import { callingExecution, TimerRuntime, type Execution, type TimerCounters } from './schedule/runtime.js';
import { StopDrain } from './schedule/stop-drain.js';
import { SharedScheduler, type SchedulerClock } from './schedule/shared-scheduler.js';
import { Histogram } from './stats/histogram.js';
import { NativeRunner, rehearse } from './schedule/native-runner.js';
import { ProcessTimer, validateSupervisorOptions, type SupervisorOptions } from './process/supervisor.js';
import { binding } from './native/binding.js';
import { firstFailure } from './process/settle.js';
import { ErrorPrinter } from './error-printer.js';
import { inlineAnchors } from './schedule/phase.js';
import type { RTimerErrorEvent, RTimerEvents } from './events.js';
import { applyControl, nativeCounts } from './schedule/control.js';
import type { LoopStateChange } from './schedule/lifecycle.js';
import { listen as listenCtl, type CtlServer, type ListenOptions } from './ctl/server.js';
import { TRIGGER_VERBS, type Controllable, type TimerInfo, type TimerState, type TriggerVerb } from './ctl/types.js';
import { timerInfo } from './ctl/info.js';
import type { TimerStats } from './stats/timer-stats.js';
import { virtualHost, type DedicatedTimer, type InlineRunner, type VirtualHost, type VirtualTime } from './schedule/virtual-host.js';
import { Cluster } from './cluster/cluster.js';
import type { ClusterCounts } from './cluster/grant.js';
import type { ClusterTimerStats } from './cluster/once-gate.js';
import { clusterError } from './cluster/etcd.js';
import { clusterSettings, type ClusterOptions, type ClusterSettings } from './cluster/options.js';

export type { TimerStats };

export interface RTimerOptions<S extends object = RouteState> {
  /**
   * Route functions by name, or a module whose exports are the routes: a URL (`new URL('./routes.mjs',
   * import.meta.url)` for a file next to the caller's) or a path, taken from the working directory.
   */
  routes?: RoutesSource<S>;
  /** Seconds for timers declared without an interval (Kamailio's default_interval, 120). */
  defaultInterval?: number;
  /** A configuration to start from, e.g. the result of loadKamailioConfig(). */
  config?: RTimerConfig;
  /**
   * How long stop() waits for a route in flight, in every mode, in ms (default 2000). Past it an
   * in-process execution is abandoned (counted in `stats().abandoned`, reported as an 'error'
   * ERR_RTIMER_STOP_GRACE) and a mode=N worker is killed. `supervisor.stopGraceMs`, if also given,
   * wins for the workers.
   */
  stopGraceMs?: number;
  /** Supervision of dedicated timer processes (mode=N): restarts, grace period, timeouts. */
  supervisor?: SupervisorOptions;
  /**
   * A VirtualClock (node-rtimer/testing): every timer runs on virtual time, moved by the test. (A
   * SchedulerClock, internally, drives the mode-0 scheduler alone.)
   */
  clock?: VirtualTime | SchedulerClock;
  /**
   * Cluster mode on etcd: timers declared with `cluster: 'once'` run on one node, `'slices'` spread
   * their tasks over the live nodes (see README, Cluster). Needs the etcd3 package.
   */
  cluster?: ClusterOptions;
}

const DEFAULT_STOP_GRACE_MS = 2000;

const QUIET_STATS = Symbol.for('node-rtimer.quietStats');

const OPTION_KEYS = ['routes', 'defaultInterval', 'config', 'stopGraceMs', 'supervisor', 'cluster', 'clock'];

/** One rule for `stopGraceMs` and `supervisor.stopGraceMs`: whole ms, as Node timers count them. */
function graceOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      `${name} must be a whole number of ms from 0 to 2147483647, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

function checkOptions(options: unknown): RTimerOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      `RTimer options must be an object (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `unknown RTimer option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(', ')})`);
    }
  }
  const { config } = options as RTimerOptions;
  if (config !== undefined && !(config instanceof RTimerConfig)) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      'config must be an RTimerConfig (new RTimerConfig(), or the result of loadKamailioConfig())');
  }
  return options as RTimerOptions;
}

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
  readonly #scheduler: SharedScheduler;
  readonly #printer = new ErrorPrinter();
  #state: State = 'idle';
  #runtimes: TimerRuntime[] = [];
  #runners = new Map<TimerRuntime, InlineRunner>();
  #processes: DedicatedTimer[] = [];
  /** Set when the timers run on a VirtualClock. */
  readonly #virtual: VirtualHost | undefined;
  readonly #supervisor: SupervisorOptions;
  #refed = true;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  /** Settles when nothing runs any more but executions in flight; then waits for those. */
  #halted: Promise<{ drain: StopDrain; processes: Promise<unknown> }> | null = null;
  readonly #stopGraceMs: number;
  /** The timers as resolved at start(): what runs, whatever happens to `config` later. */
  #resolved: TimerConfig[] | null = null;
  /** Inline timers: roughly when their engine was armed (for list()'s next deadline). */
  readonly #anchors = new Map<TimerRuntime, bigint>();
  /** Control sockets opened with listen(); closed by stop(). */
  readonly #servers = new Set<Promise<CtlServer>>();
  /** Settles when stop() is called: start() stops waiting for start routes then. */
  #stopCalled!: () => void;
  readonly #stopSignal = new Promise<void>((r) => { this.#stopCalled = r; });
  readonly #clusterSettings: ClusterSettings | undefined;
  #cluster: Cluster | null = null;

  constructor(options: RTimerOptions<S> = {}) {
    super();
    checkOptions(options);
    validateSupervisorOptions(options.supervisor);
    // A snapshot: changing the caller's object later does not change how workers are supervised.
    const supervisor: SupervisorOptions = { ...options.supervisor };
    const workerGrace = graceOption(supervisor.stopGraceMs, 'supervisor.stopGraceMs');
    this.#stopGraceMs = graceOption(options.stopGraceMs, 'stopGraceMs') ?? workerGrace ?? DEFAULT_STOP_GRACE_MS;
    if (workerGrace === undefined && options.stopGraceMs !== undefined) supervisor.stopGraceMs = this.#stopGraceMs;
    this.#supervisor = supervisor;
    this.config = options.config ?? new RTimerConfig();
    if (options.defaultInterval !== undefined) this.config.setDefaultInterval(options.defaultInterval);
    // S only types the routes for the caller; kept untyped so an RTimer<S> is an RTimer anywhere.
    this.#routes = options.routes as RoutesSource | undefined;
    this.#virtual = virtualHost(options.clock);
    this.#scheduler = new SharedScheduler(this.#virtual?.scheduler ?? options.clock as SchedulerClock | undefined);
    if (options.cluster !== undefined && this.#virtual) {
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
  timers(): TimerConfig[] { return this.#resolved ? structuredClone(this.#resolved) : this.config.resolve(); }

  /** What timers() returns, without the copy: never handed out. */
  #timerList(): TimerConfig[] { return this.#resolved ?? this.config.resolve(); }

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
      await this.#cluster?.close().catch(() => undefined);
      // Once stop() was called the RTimer never goes back to idle: stop() makes it 'stopped'.
      if (this.#state === 'starting') {
        this.#state = 'idle';
        this.#resolved = null;
        if (froze) this.config.unfreeze();
      }
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const timers = this.config.resolve();
    this.#resolved = timers;
    const v = this.#virtual;
    v?.check(timers);
    if (timers.length === 0) warnOnce(this, 'RTIMER_NO_TIMERS', 'start() with no timers declared: nothing will run');
    const idle = timers.filter((t) => t.routes.length === 0 && t.start === undefined && t.end === undefined);
    if (idle.length) {
      const names = idle.slice(0, 5).map((t) => `"${t.name}"`).join(', ') + (idle.length > 5 ? ` and ${idle.length - 5} more` : '');
      warnOnce(this, 'RTIMER_TIMER_NO_EXEC', `timer${idle.length > 1 ? 's' : ''} ${names} ` +
        `ha${idle.length > 1 ? 've' : 's'} no exec (no route): ${idle.length > 1 ? 'they tick' : 'it ticks'} and run${idle.length > 1 ? '' : 's'} nothing`);
    }
    this.#cluster = Cluster.for(this.#clusterSettings, timers, (event, payload) => {
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
    if (this.#cluster) {
      await Promise.race([this.#cluster.start(), this.#stopSignal]);
      if (this.#state !== 'starting') return;
    }
    const onError = (err: RTimerRouteError) => this.#reportError(err);
    const hook = (r: string | undefined) => (r === undefined ? undefined : found.get(r));
    const clusterNow = binding.now();
    const clusterOffset = this.#cluster ? binding.realtimeOffset() : 0n;
    const grids = new Map<TimerConfig, bigint>();
    this.#runtimes = local.map((t) => {
      const c = t.cluster !== undefined ? this.#cluster!.gate(t, clusterNow, clusterOffset) : undefined;
      if (c) grids.set(t, c.anchor);
      return new TimerRuntime(t, t.routes.map((r) => found.get(r)!), 0, onError, t.mode === 0, {
        start: hook(t.start), end: hook(t.end), onState: (ch) => this.#stateChanged(t.name, undefined, ch), gate: c?.gate,
        ...(v && { now: v.now, spend: v.spend }),
      });
    });
    for (const rt of this.#runtimes) v?.track(rt);
    // ptimer's start, once per timer before its first tick (which comes one interval after the arm).
    // A start route that never returns does not hold stop() up: stop()'s grace period covers it.
    const begun = Promise.all(this.#runtimes.map(async (rt) => { await rt.life.begin('start'); await rt.settled(); }));
    await Promise.race([v ? v.starting(begun, this.#runtimes) : begun, this.#stopSignal]);
    if (this.#state !== 'starting') return;
    if (dedicated.length) await this.#startProcesses(dedicated);
    if (this.#state !== 'starting') return; // stop() came meanwhile; it stops the processes
    const runners: InlineRunner[] = [];
    try {
      // Warm start: the tick path runs dry before the first deadline, and its cost seeds the lead.
      const prepareNs = rehearse(this.#runtimes.filter((rt) => rt.config.mode !== 0));
      for (const rt of this.#runtimes) {
        if (rt.config.mode === 0) continue;
        const runner = v ? v.inline(rt) : new NativeRunner(rt, prepareNs);
        if (!this.#refed) runner.unref();
        runners.push(runner);
        this.#runners.set(rt, runner);
      }
      // One anchor for all, so timers of one interval tick in phase unless phase/stagger/align say otherwise.
      const started = [...this.#runners];
      const anchors = inlineAnchors(started.map(([, r]) => r.config), v ? v.now() : binding.now(), v ? v.realtimeOffset : binding.realtimeOffset);
      started.forEach(([rt, r], i) => {
        const anchor = grids.get(rt.config) ?? anchors[i]; // a cluster timer keeps the cluster's grid
        this.#anchors.set(rt, anchor);
        r.start(anchor);
      });
    } catch (err) {
      await Promise.all([...runners.map((r) => r.stop()), ...this.#processes.map((p) => p.stop())]);
      this.#runners.clear();
      this.#processes = [];
      throw err;
    }
    for (const rt of this.#runtimes) if (rt.config.mode === 0) this.#scheduler.add(rt, grids.get(rt.config));
    this.#scheduler.start();
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
    const v = this.#virtual;
    this.#processes = timers.map((t) => (v ? v.dedicated(structuredClone(t), url, this.#supervisor.stopGraceMs ?? this.#stopGraceMs, emit)
      : new ProcessTimer(structuredClone(t), url, this.#supervisor, emit,
        t.cluster ? this.#cluster!.dedicated(t, binding.now(), binding.realtimeOffset()) : undefined)));
    if (!this.#refed) for (const p of this.#processes) p.unref();
    const settle = async (steps: Promise<void>[]) => {
      let failure = await firstFailure(steps);
      if (failure === undefined) return;
      // The worker imports a URL; the path the user gave, and so the hint, is known here.
      const hint = (failure as RTimerError).code === 'ERR_RTIMER_ROUTES_LOAD' ? relativeHint(this.#routes) : '';
      if (hint) failure = new RTimerError('ERR_RTIMER_ROUTES_LOAD', `${(failure as Error).message} (${hint})`, { cause: failure });
      await Promise.all(this.#processes.map((p) => p.stop()));
      this.#processes = [];
      throw failure;
    };
    // Every process loads first, then all arm on one anchor, so the timers share a phase.
    await settle(this.#processes.map((p) => p.load()));
    const anchor = v ? v.now() : binding.now();
    await settle(this.#processes.map((p) => p.arm(anchor)));
  }

  /**
   * Cancels every timer; resolves when routes in flight have finished or, past `stopGraceMs`, been
   * abandoned. Safe to call any time, twice, and from a route: there it does not wait for the
   * calling execution (which waits for it); the state becomes 'stopped' once that route returned.
   */
  stop(): Promise<void> {
    const caller = callingExecution();
    const own = caller && this.#runtimes.includes(caller.runtime) ? caller : undefined;
    if (!this.#stopping) {
      if (this.#state === 'idle' || this.#state === 'stopped') {
        this.#state = 'stopped';
        return Promise.all([...this.#servers].map((s) => s.then((srv) => srv.close(), () => undefined))).then(() => undefined);
      }
      const wasStarting = this.#starting;
      this.#state = 'stopping';
      this.#stopCalled();
      for (const rt of this.#runtimes) rt.life.halted = true;
      // Resigns at once (synchronously no tick is ours any more): the next node leads in about an interval.
      const cluster = this.#cluster?.close().catch((err: unknown) => this.#reportError(clusterError(err)));
      const servers = [...this.#servers].map((s) => s.then((srv) => srv.close(), () => undefined));
      // Workers still starting are killed now (start() rejects with ERR_RTIMER_STOPPED), not waited for.
      const aborting = this.#processes.map((p) => p.stop());
      this.#halted = (async () => {
        await wasStarting?.catch(() => undefined);
        const processes = Promise.all([...aborting, ...this.#processes.map((p) => p.stop())]);
        processes.catch(() => undefined); // awaited below, after the in-process timers halt
        this.#scheduler.halt();
        await Promise.all([...this.#runners.values()].map((r) => r.halt()));
        return { drain: new StopDrain(this.#runtimes, this.#stopGraceMs, (e) => this.#abandoned(e), this.#virtual?.grace), processes };
      })();
      this.#stopping = this.#halted.then(async ({ drain, processes }) => {
        await Promise.all([drain.all(), processes, ...servers, cluster]);
        // ptimer's end, once per timer after its last tick, unless a -1 already ran it.
        for (const rt of this.#runtimes) void rt.life.finish('stop');
        // What the routes in flight left of the grace period: one stopGraceMs bounds the whole stop().
        await new StopDrain(this.#runtimes, Math.max(0, this.#stopGraceMs - Math.ceil(drain.spentMs)), (e) => this.#abandoned(e),
          this.#virtual?.grace).all();
        for (const rt of this.#runtimes) this.#virtual?.untrack(rt);
        this.#state = 'stopped';
      });
      // On virtual time nothing else may move the clock through a grace period.
      void this.#virtual?.drive(this.#stopping);
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
    for (const t of [this.#scheduler, ...this.#runners.values(), ...this.#processes]) {
      if (on) t.ref(); else t.unref();
    }
    return this;
  }

  hasRef(): boolean { return this.#refed; }

  /** Per timer, in declaration order: counters, lateness and duration histograms (ns). */
  stats(): TimerStats[] {
    if (this.#state === 'idle') warnOnce(this, 'RTIMER_STATS_BEFORE_START', 'stats() before start(): no timer runs yet, every figure is empty');
    return this.#stats();
  }

  /** @internal stats() without its before-start warning: for the metrics collector of any copy of the package. */
  [QUIET_STATS](): TimerStats[] { return this.#stats(); }

  #stats(): TimerStats[] {
    const local = this.#runtimes.map((rt): TimerStats => {
      const base = { name: rt.name, mode: rt.config.mode, intervalUs: rt.config.intervalUs, ...rt.counters,
        lateness: rt.lateness, duration: rt.duration, abandoned: rt.abandoned, state: this.#localState(rt), ...this.#clusterStats(rt.name) };
      const runner = this.#runners.get(rt);
      if (!runner) return base;
      const { dispatchErrors, raw: _raw, ...n } = runner.stats();
      return { ...base, ...n, ...nativeCounts(n, rt), errors: base.errors + dispatchErrors };
    });
    const dedicated = this.#processes.map((p): TimerStats => {
      const workers = p.workers();
      const sum = (k: keyof TimerCounters) =>
        workers.reduce((n, w) => n + w[k], 0);
      const lateness = new Histogram();
      const duration = new Histogram();
      for (const w of workers) { lateness.add(w.lateness); duration.add(w.duration); }
      return { name: p.config.name, mode: p.config.mode, intervalUs: p.config.intervalUs, ticks: sum('ticks'), idle: sum('idle'),
        executions: sum('executions'), missed: sum('missed'), paused: sum('paused'), errors: sum('errors'),
        routeCalls: sum('routeCalls'), triggered: sum('triggered'), lateness, duration, workers, failed: p.failed,
        state: this.#processState(p), ...this.#clusterStats(p.config.name, workers.map((w) => w.cluster)) };
    });
    const order = new Map((this.#resolved ?? []).map((t, i) => [t.name, i]));
    return [...local, ...dedicated].sort((a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1));
  }

  #clusterStats(name: string, workers?: (ClusterCounts | undefined)[]): { cluster?: ClusterTimerStats } {
    const cluster = this.#cluster?.stats(name, workers);
    return cluster ? { cluster } : {};
  }

  /** Every timer with its state, mode, interval, workers, next deadline and counters (plain JSON). */
  list(): TimerInfo[] {
    const stats = new Map(this.#stats().map((s) => [s.name, s]));
    const now = this.#virtual ? this.#virtual.now() : binding.now();
    const wall = this.#virtual ? this.#virtual.wallMs() : Date.now();
    const epochMs = (d: bigint | null) => (d === null ? null : wall + Number(d - now) / 1e6);
    return this.#timerList().map((t) => {
      const s = stats.get(t.name);
      const rt = this.#runtimes.find((r) => r.name === t.name);
      const p = this.#processes.find((x) => x.config.name === t.name);
      let next: number | null = null;
      if (this.#state === 'running' && s?.state === 'running') {
        if (rt && t.mode === 0) { const d = this.#scheduler.untilNext(rt); next = d === null ? null : wall + Number(d) / 1e6; }
        else if (rt) next = epochMs(nextGrid(this.#anchors.get(rt) ?? null, t.intervalUs, now));
        else if (p) next = epochMs(p.nextDeadline(now));
      }
      return timerInfo(t, s, next, p?.loops());
    });
  }

  /** Pauses a timer: no route runs, its deadlines stay on their grid and count as `paused`. */
  pause(name: string): Promise<void> { return this.#control(name, 'pause'); }

  /** Resumes a paused timer at its next deadline, in phase. */
  resume(name: string): Promise<void> { return this.#control(name, 'resume'); }

  /** resume() under the control socket's (and ptimer's) name. */
  continue(name: string): Promise<void> { return this.#control(name, 'resume'); }

  /** The next deadline of a running timer as a Date (croner's nextRun()); null when none is due. */
  nextRun(name: string): Date | null {
    const t = this.#find(name);
    const next = this.list().find((x) => x.name === t.name)?.nextDeadline ?? null;
    return next === null ? null : new Date(next);
  }

  /**
   * ptimer's jumps: `start` runs the start route again with a fresh ctx.state (then the loop),
   * `loop` resumes the loop as it was, `end` runs the end route (then `ended`); `tick` runs the tick
   * routes once now, outside the schedule (counted in `triggered`). In mode=N, on every worker.
   */
  trigger(name: string, verb: TriggerVerb): Promise<void> {
    const v = (typeof verb === 'string' ? verb.toLowerCase() : verb) as TriggerVerb; // verbs are case-insensitive, as names are
    if (!TRIGGER_VERBS.includes(v)) {
      return Promise.reject(new RTimerError('ERR_RTIMER_VERB_UNKNOWN',
        `unknown trigger verb ${typeof verb === 'string' ? `"${verb}"` : typeof verb}${didYouMean(verb, TRIGGER_VERBS)} (expected ${TRIGGER_VERBS.join(', ')})`));
    }
    return this.#control(name, v);
  }

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

  /** A timer by name, compared case-insensitively as the configuration does; unknown names say the nearest. */
  #find(name: string): TimerConfig {
    const list = this.#timerList();
    const t = typeof name === 'string' ? list.find((x) => x.name.toLowerCase() === name.toLowerCase()) : undefined;
    if (!t) {
      throw new RTimerError('ERR_RTIMER_TIMER_UNKNOWN',
        `unknown timer ${typeof name === 'string' ? `"${name}"` : typeof name}${didYouMean(name, list.map((x) => x.name))}`);
    }
    return t;
  }

  async #control(given: string, verb: TriggerVerb | 'pause' | 'resume'): Promise<void> {
    const { name } = this.#find(given);
    if (this.#state !== 'running') {
      throw new RTimerError('ERR_RTIMER_NOT_RUNNING', `timer "${name}" cannot ${verb}: the RTimer is ${this.#state}`);
    }
    const rt = this.#runtimes.find((r) => r.name === name);
    if (rt) { await applyControl(rt, verb, callingExecution()); return; }
    const p = this.#processes.find((x) => x.config.name === name)!;
    if (p.failed) throw new RTimerError('ERR_RTIMER_NOT_RUNNING', `timer "${name}" cannot ${verb}: it failed`);
    await p.control(verb);
  }

  #stateChanged(timer: string, worker: number | undefined, c: LoopStateChange): void {
    try {
      this.emit('timer-state', { timer, ...(worker === undefined ? {} : { worker }), ...c });
    } catch (err) {
      throwLater(err);
    }
  }

  #localState(rt: TimerRuntime): TimerState {
    return this.#state === 'stopped' || this.#state === 'idle' ? 'stopped' : rt.life.current;
  }

  #processState(p: DedicatedTimer): TimerState {
    if (p.failed) return 'failed';
    if (this.#state === 'stopped' || this.#state === 'idle') return 'stopped';
    if (p.paused) return 'paused';
    return p.loops().every((l) => l === 'ended') ? 'ended' : 'running';
  }

  #assertIdle(what: string): void {
    if (this.#state !== 'idle') {
      throw new RTimerError('ERR_RTIMER_RUNNING', `${what} is only allowed before start() (state: ${this.#state})`);
    }
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

/** The first deadline after `now` of a grid anchored at `anchor`, ns; null when not armed. */
function nextGrid(anchor: bigint | null, intervalUs: number, now: bigint): bigint | null {
  if (anchor === null) return null;
  const interval = BigInt(intervalUs) * 1000n;
  return anchor + (now < anchor ? 1n : (now - anchor) / interval + 1n) * interval;
}
