import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { binding } from '../native/binding.js';
import type { TimerConfig } from '../config/types.js';
import { RTimerError, RTimerRouteError } from '../errors.js';
import { nativeDetail, type NativeDetail } from '../schedule/native-runner.js';
import { zeroCounters, type TimerCounters } from '../schedule/runtime.js';
import { Histogram } from '../stats/histogram.js';
import { deadlinesPassed } from './deadlines.js';
import { validateSupervisorOptions, type ResolvedSupervisorOptions } from './options.js';
import { applySnapshot, parseFromWorker, TAG, type ControlVerb, type ReportMessage, type ToWorker, type WorkerReport } from './protocol.js';
import type { LoopState } from '../schedule/lifecycle.js';
import { firstFailure } from './settle.js';
import type { ClusterCounts, ClusterGrant, WorkerClusterInfo } from '../cluster/grant.js';

export type { SupervisorOptions } from './options.js';
export { validateSupervisorOptions } from './options.js';

// dist/ and lib/ sit at the same depth, so this finds the compiled entry point from either.
const WORKER_MAIN = new URL('../../dist/process/worker-main.js', import.meta.url);

export type WorkerState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface WorkerStats extends TimerCounters {
  worker: number;
  pid: number | undefined;
  state: WorkerState;
  restarts: number;
  lateness: Histogram;
  duration: Histogram;
  native?: NativeDetail;
  /** A cluster timer's refusals in this worker (dead incarnations included). */
  cluster?: ClusterCounts;
}

/**
 * A mode=N cluster timer's link to the parent's cluster side (lib/cluster/feed.ts): workers are
 * armed on the grid's anchor, told the node and the grid's numbering at start, and sent every grant.
 */
export interface ClusterFeed {
  readonly info: WorkerClusterInfo;
  readonly anchor: bigint;
  grant(): ClusterGrant;
  onGrant(fn: (g: ClusterGrant) => void): void;
  /** The timer failed (its workers are gone for good): leave the election so another node runs it. */
  release(): void;
}

export interface WorkerEvent { timer: string; worker: number; pid: number | undefined }
/** Why a worker's process ended, when it was not asked to stop. */
export type WorkerExitReason = 'exited' | 'watchdog' | 'start-timeout' | 'spawn-failed';
export interface WorkerExitEvent extends WorkerEvent {
  code: number | null; signal: NodeJS.Signals | null; restartInMs: number | null; reason: WorkerExitReason;
}
/** A worker sent something that is not one of node-rtimer's messages (e.g. a route called process.send). */
export interface WorkerMessageEvent extends WorkerEvent { message: unknown }
/** A running worker was silent for `silentMs` (≥ watchdogMs): stopped, spinning or wedged. */
export interface WorkerUnresponsiveEvent extends WorkerEvent { silentMs: number; killed: boolean }

type Emit = (event: 'error' | 'worker-exit' | 'worker-restart' | 'timer-failed' | 'worker-message' | 'worker-unresponsive' | 'timer-state',
  payload: unknown) => void;

interface Worker {
  index: number;
  child: ChildProcess | null;
  /** Settles when the current incarnation is gone (exited, or never spawned). */
  gone: Promise<void>;
  /** How the current incarnation ended, once it has: a step started after that fails at once. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The current incarnation's secret: its messages carry it, a route's process.send() cannot. */
  token: string;
  state: WorkerState;
  restarts: number[];
  report: WorkerReport | null;
  /** What earlier incarnations of this worker reported before they died. */
  past: { counters: TimerCounters; lateness: Histogram; duration: Histogram; cluster: ClusterCounts };
  restartTimer: NodeJS.Timeout | null;
  pid: number | undefined;
  /** The step of its start under way: resolved by 'loaded' or 'armed', rejected by a failure. */
  waiting: { step: 'load' | 'arm'; resolve(): void; reject(err: Error): void } | null;
  /** True until it is first armed: a failure then rejects start() instead of restarting. */
  initial: boolean;
  /** The current incarnation's schedule: its anchor (phase included) and when it armed. */
  anchorNs: bigint;
  armedAtNs: bigint | null;
  /** Monotonic time stop() asked it to stop; its ticks end there. */
  stopAtNs: bigint | null;
  /** Its final report arrived: every tick it had is counted. */
  final: boolean;
  lastSeen: number;
  unresponsive: boolean;
  /** Why we killed it, if we did, for the 'worker-exit' event. */
  killReason: WorkerExitReason | null;
  /** Its loop's state as it last reported (ptimer's start/loop/end, paused). */
  loop: LoopState;
  /** Control verbs sent and not yet answered, by id: settled by 'control-done' or its exit. */
  controls: Map<number, () => void>;
}

const zero = zeroCounters;
const COUNTERS = Object.keys(zero()) as (keyof TimerCounters)[];

/**
 * A mode=N timer: N forked processes, each running the timer's routes on its own native timer,
 * supervised (restart with backoff, keeping index and phase; a watchdog for silent ones) and never
 * left orphaned.
 */
export class ProcessTimer {
  readonly #workers: Worker[];
  readonly #opts: ResolvedSupervisorOptions;
  #anchor = 0n;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  #refed = true;
  #failed = false;
  #watchdog: NodeJS.Timeout | null = null;
  #lastCheck = 0;
  /** rt.pause() holds: a restarted worker is paused again once armed. */
  #paused = false;
  #controlId = 0;

  /** What its workers run, restarts included: its own copy, which nothing outside can change. */
  readonly #config: TimerConfig;

  constructor(config: TimerConfig, private readonly routes: string, options: unknown, private readonly emit: Emit,
    private readonly cluster?: ClusterFeed) {
    this.#config = structuredClone(config);
    this.config = deepFreeze(structuredClone(config));
    this.#opts = validateSupervisorOptions(options, config.intervalUs / 1000);
    this.#workers = Array.from({ length: config.mode as number }, (_, index) => ({
      index, child: null, gone: Promise.resolve(), exit: null, token: '', state: 'starting', restarts: [], report: null, restartTimer: null,
      pid: undefined, waiting: null, initial: true, anchorNs: 0n, armedAtNs: null, stopAtNs: null, final: false,
      lastSeen: 0, unresponsive: false, killReason: null, loop: 'running', controls: new Map(),
      past: { counters: zero(), lateness: new Histogram(), duration: new Histogram(), cluster: { standby: 0, fenced: 0, rebalanced: 0 } },
    }));
    cluster?.onGrant((grant) => {
      for (const w of this.#workers) if (w.child) this.#send(w.child, { rtimer: TAG, type: 'cluster', grant });
    });
  }

  /** A read-only view of the timer it runs. */
  readonly config: Readonly<TimerConfig>;

  get failed(): boolean { return this.#failed; }

  /** The watchdog's silence limit in effect (0: off). */
  get watchdogMs(): number { return this.#opts.watchdogMs; }

  get paused(): boolean { return this.#paused; }

  /** Each worker's loop state, as last reported. */
  loops(): LoopState[] { return this.#workers.map((w) => w.loop); }

  /** The earliest next deadline of its armed workers, ns on the monotonic clock; null when none is armed. */
  nextDeadline(now: bigint): bigint | null {
    const interval = BigInt(this.#config.intervalUs) * 1000n;
    let best: bigint | null = null;
    for (const w of this.#workers) {
      if (w.armedAtNs === null || w.state !== 'running' || w.loop === 'ended') continue;
      const k = now < w.anchorNs ? 1n : (now - w.anchorNs) / interval + 1n;
      const d = w.anchorNs + k * interval;
      if (best === null || d < best) best = d;
    }
    return best;
  }

  /**
   * Sends a control verb to every worker that runs; resolves when each has applied it (its routes
   * returned), died, or stopped. Paused workers keep their timer and their reports (the watchdog's
   * heartbeat) going: nothing is ever SIGSTOPped.
   */
  async control(verb: ControlVerb): Promise<void> {
    if (verb === 'pause') this.#paused = true;
    else if (verb !== 'tick') this.#paused = false;
    if (this.#stopping) return;
    await Promise.all(this.#workers.map((w) => this.#control(w, verb)));
  }

  #control(w: Worker, verb: ControlVerb): Promise<void> {
    const child = w.child;
    if (!child || !child.connected || (w.state !== 'running' && w.state !== 'starting')) return Promise.resolve();
    const id = ++this.#controlId;
    return new Promise<void>((resolve, reject) => {
      // A worker busy in a route longer than this does not hold the caller forever.
      const timeout = setTimeout(() => {
        w.controls.delete(id);
        reject(new RTimerError('ERR_RTIMER_CONTROL_TIMEOUT',
          `${this.#where(w, child.pid)} did not apply "${verb}" within ${this.#opts.startTimeoutMs} ms (a route still running?)`));
      }, this.#opts.startTimeoutMs);
      w.controls.set(id, () => { clearTimeout(timeout); resolve(); });
      this.#send(child, { rtimer: TAG, type: 'control', id, verb });
    });
  }

  /** Forks every worker and waits until each has loaded the routes and run its start hook. */
  async load(): Promise<void> {
    await this.#settleAll(this.#workers.map((w) => this.#spawn(w)));
  }

  /** Arms every worker's timer on `anchorNs` (plus its stagger); resolves when all are armed. */
  async arm(anchorNs: bigint): Promise<void> {
    // A cluster timer's workers tick on the cluster's grid, numbered from its anchor.
    this.#anchor = this.cluster?.anchor ?? anchorNs;
    await this.#settleAll(this.#workers.map((w) => this.#arm(w)));
    this.#startWatchdog();
  }

  /** On any failure: kills every worker, waits for them to be gone, rejects with the first failure. */
  async #settleAll(steps: Promise<void>[]): Promise<void> {
    const failure = await firstFailure(steps);
    if (failure !== undefined) {
      this.#stopping = true;
      await Promise.all(this.#workers.map((w) => this.#kill(w)));
      // Steps of workers that never had a process still wait on their timeout: end them too.
      for (const w of this.#workers) w.waiting?.reject(this.#stoppedError());
      throw failure;
    }
  }

  /** Stops every worker gracefully; during start(), aborts it: workers not yet armed are killed at once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      if (this.#watchdog) { clearInterval(this.#watchdog); this.#watchdog = null; }
      await Promise.all(this.#workers.map((w) => this.#stopWorker(w)));
    })();
    return this.#stopped;
  }

  ref(): void { this.#refed = true; for (const w of this.#workers) this.#applyRef(w); }
  unref(): void { this.#refed = false; for (const w of this.#workers) this.#applyRef(w); }

  workers(): WorkerStats[] {
    return this.#workers.map((w) => {
      const r = w.report;
      const n = r ? nativeDetail(r.native) : null;
      const counters = zero();
      for (const k of COUNTERS) counters[k] = w.past.counters[k] + (r?.counters[k] ?? 0);
      const lateness = new Histogram().add(w.past.lateness);
      const duration = new Histogram().add(w.past.duration);
      if (n) lateness.add(n.lateness);
      if (r) duration.add(Histogram.fromSnapshot(r.duration));
      const c = this.cluster ? addCounts(w.past.cluster, r?.cluster) : undefined;
      return { worker: w.index, pid: w.pid, state: w.state, restarts: w.restarts.length, ...counters, lateness, duration, native: n?.native,
        ...(c ? { cluster: c } : {}) };
    });
  }

  #applyRef(w: Worker): void {
    const child = w.child;
    if (child) {
      const channel = child.channel as { ref?(): void; unref?(): void } | undefined;
      if (this.#refed) { child.ref(); channel?.ref?.(); } else { child.unref(); channel?.unref?.(); }
    }
    if (w.restartTimer) { if (this.#refed) w.restartTimer.ref(); else w.restartTimer.unref(); }
  }

  #where(w: Worker, pid?: number): string {
    return `timer "${this.#config.name}" worker ${w.index}${pid ? ` (pid ${pid})` : ''}`;
  }

  #stoppedError(): RTimerError {
    return new RTimerError('ERR_RTIMER_STOPPED', `timer "${this.#config.name}" was stopped while its workers started`);
  }

  /** One step of a worker's start; past startTimeoutMs the worker is killed (a crash, once it ran before). */
  #step(w: Worker, step: 'load' | 'arm'): Promise<void> {
    const what = step === 'load' ? 'load its routes' : 'arm its timer';
    if (this.#stopping) return Promise.reject(this.#stoppedError());
    const child = w.child;
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => {
        fail(new RTimerError('ERR_RTIMER_WORKER_START', `${this.#where(w, w.pid)} did not ${what} within ${this.#opts.startTimeoutMs} ms`));
        if (child && w.child === child) { w.killReason = 'start-timeout'; child.kill('SIGKILL'); }
      }, this.#opts.startTimeoutMs);
      const fail = (err: Error) => { clearTimeout(timeout); w.waiting = null; reject(err); };
      w.waiting = { step, resolve: () => { clearTimeout(timeout); w.waiting = null; resolve(); }, reject: fail };
    });
  }

  #spawn(w: Worker): Promise<void> {
    w.state = 'starting';
    w.report = null;
    w.armedAtNs = null;
    w.final = false;
    w.unresponsive = false;
    w.killReason = null;
    w.loop = 'running';
    w.exit = null;
    w.token = randomBytes(16).toString('hex');
    let child: ChildProcess;
    try {
      child = fork(WORKER_MAIN, [], {
        serialization: 'advanced',
        execArgv: [],
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, RTIMER_PARENT_PID: String(process.pid) },
      });
    } catch (err) {
      return this.#spawnFailed(w, err as Error);
    }
    w.child = child;
    w.pid = child.pid;
    this.#applyRef(w);
    const loaded = this.#step(w, 'load');
    let markGone!: () => void;
    w.gone = new Promise<void>((r) => { markGone = r; });
    let over = false;
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (over) return;
      over = true;
      if (w.child === child) w.exit = { code, signal };
      markGone();
      for (const settle of w.controls.values()) settle();
      w.controls.clear();
      w.waiting?.reject(new RTimerError('ERR_RTIMER_WORKER_START',
        `${this.#where(w, child.pid)} exited (${signal ?? `code ${code}`}) before its timer was armed`));
      this.#exited(w, child, code, signal);
    };
    child.on('error', (err) => {
      // A fork that failed (EAGAIN, ENOMEM…) gets 'error' and no 'exit': that is its death.
      if (child.pid !== undefined) return;
      w.waiting?.reject(new RTimerError('ERR_RTIMER_WORKER_START', `${this.#where(w)}: cannot start a process: ${err.message}`));
      if (w.child === child) w.killReason = 'spawn-failed';
      ended(null, null);
    });
    child.on('exit', ended);
    child.on('message', (raw: unknown) => this.#message(w, child, raw));
    this.#send(child, { rtimer: TAG, type: 'start', token: w.token, routes: this.routes, timer: this.#config, worker: w.index,
      workers: this.#config.mode as number, statsIntervalMs: this.#opts.statsIntervalMs, ...(this.#paused ? { paused: true } : {}),
      ...(this.cluster ? { cluster: this.cluster.info } : {}) });
    if (this.cluster) this.#send(child, { rtimer: TAG, type: 'cluster', grant: this.cluster.grant() });
    return loaded;
  }

  /** fork() threw: at start() that is start()'s error; later it is a crash like any other. */
  #spawnFailed(w: Worker, err: Error): Promise<void> {
    const failure = new RTimerError('ERR_RTIMER_WORKER_START', `${this.#where(w)}: cannot start a process: ${err.message}`, { cause: err });
    w.child = null;
    w.pid = undefined;
    w.gone = Promise.resolve();
    if (!w.initial && !this.#stopping) {
      w.killReason = 'spawn-failed';
      queueMicrotask(() => this.#died(w, undefined, null, null));
    }
    return Promise.reject(failure);
  }

  #send(child: ChildProcess, m: ToWorker): void {
    if (!child.connected) return;
    try { child.send(m, undefined, {}, () => undefined); } catch { /* the channel closed: its exit follows */ }
  }

  #message(w: Worker, child: ChildProcess, raw: unknown): void {
    if (w.child !== child) return;
    w.lastSeen = Date.now();
    if (w.unresponsive && w.killReason === null) w.unresponsive = false; // it came back: report the next silence too
    const m = parseFromWorker(raw, w.token);
    if (!m) {
      this.emit('worker-message', { timer: this.#config.name, worker: w.index, pid: child.pid, message: raw } satisfies WorkerMessageEvent);
      return;
    }
    switch (m.type) {
      case 'loaded':
        if (w.waiting?.step === 'load') w.waiting.resolve();
        break;
      case 'armed':
        if (w.waiting?.step !== 'arm') break;
        w.armedAtNs = m.armedAtNs;
        w.state = 'running';
        w.initial = false;
        w.unresponsive = false;
        w.waiting.resolve();
        break;
      case 'failed':
        w.waiting?.reject(new RTimerError(m.code, `${this.#where(w, child.pid)}: ${m.message}`));
        break;
      case 'route-error': {
        const cause = Object.assign(new Error(m.message), { stack: m.stack });
        this.emit('error', new RTimerRouteError(this.#config.name, m.route, w.index, cause));
        break;
      }
      case 'state':
        w.loop = m.to;
        this.emit('timer-state', { timer: this.#config.name, worker: w.index, from: m.from, to: m.to, by: m.by });
        break;
      case 'control-done':
        w.loop = m.state;
        w.controls.get(m.id)?.();
        w.controls.delete(m.id);
        break;
      case 'stats':
      case 'stopped':
        this.#merge(w, m.report);
        if (m.type === 'stopped') w.final = true;
        break;
    }
  }

  /** A report carries the histograms that changed since the previous one: rebuild the full picture. */
  #merge(w: Worker, r: ReportMessage): void {
    const prev = w.report;
    const { hist } = r;
    const snap = (name: 'wake' | 'callback' | 'hop' | 'duration', base: Float64Array | null) => {
      const d = hist[name];
      return d ? applySnapshot(base, d) : (base ?? applySnapshot(null, { head: new Float64Array(6), index: new Uint32Array(0), value: new Float64Array(0) }));
    };
    w.report = {
      pid: r.pid, counters: r.counters,
      native: { ...r.native, wake: snap('wake', prev?.native.wake ?? null), callback: snap('callback', prev?.native.callback ?? null),
        hop: snap('hop', prev?.native.hop ?? null) },
      duration: snap('duration', prev?.duration ?? null),
      ...(r.cluster ? { cluster: r.cluster } : {}),
    };
  }

  #arm(w: Worker): Promise<void> {
    const n = this.#config.mode as number;
    const phase = this.#config.stagger ? (BigInt(this.#config.intervalUs) * 1000n * BigInt(w.index)) / BigInt(n) : 0n;
    const armed = this.#step(w, 'arm');
    // A worker being stopped is never armed.
    if (this.#stopping) return armed;
    if (!w.child) {
      // It died between its steps, when no step was there to hear it.
      const how = w.exit ? `exited (${w.exit.signal ?? `code ${w.exit.code}`})` : 'has no process';
      w.waiting?.reject(new RTimerError('ERR_RTIMER_WORKER_START', `${this.#where(w, w.pid)} ${how} before its timer was armed`));
      return armed;
    }
    w.anchorNs = this.#anchor + phase;
    this.#send(w.child, { rtimer: TAG, type: 'arm', anchorNs: w.anchorNs });
    return armed;
  }

  #exited(w: Worker, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (w.child !== child) return;
    w.child = null;
    this.#died(w, child.pid, code, signal);
  }

  /** Keeps what the dead incarnation counted, then restarts it with backoff, or marks the timer failed. */
  #died(w: Worker, pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    this.#bankTicks(w);
    if (this.#stopping || w.initial) {
      if (w.state !== 'failed') w.state = 'stopped';
      return;
    }
    const now = Date.now();
    w.restarts = w.restarts.filter((t) => now - t < this.#opts.restartWindowMs);
    const restartInMs = w.restarts.length >= this.#opts.maxRestarts ? null
      : Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** w.restarts.length);
    const reason = w.killReason ?? 'exited';
    this.emit('worker-exit', { timer: this.#config.name, worker: w.index, pid, code, signal, restartInMs, reason } satisfies WorkerExitEvent);
    if (restartInMs === null) {
      this.#fail(w, code, signal, reason, w.restarts.length + 1);
      return;
    }
    w.restarts.push(now);
    w.state = 'restarting';
    w.restartTimer = setTimeout(() => {
      w.restartTimer = null;
      if (this.#stopping) return;
      this.#spawn(w).then(() => this.#arm(w)).then(() => { if (this.#paused) void this.#control(w, 'pause'); }).then(
        () => this.emit('worker-restart', { timer: this.#config.name, worker: w.index, pid: w.child?.pid, restarts: w.restarts.length }),
        // A restart that fails ends in the worker's death, which counts as a crash; a stop we asked for is no error.
        (err: Error) => { if (!this.#stopping) this.emit('error', err); });
    }, restartInMs);
    if (!this.#refed) w.restartTimer.unref();
  }

  /**
   * Moves the dead incarnation's figures into `past`. Ticks it had but never reported (it died
   * between two reports, or before its first) are counted from its schedule, as missed, so that
   * executions + missed = ticks stays exact.
   */
  #bankTicks(w: Worker): void {
    const r = w.report;
    if (r) {
      const n = nativeDetail(r.native);
      for (const k of COUNTERS) w.past.counters[k] += r.counters[k];
      w.past.lateness.add(n.lateness);
      w.past.duration.add(Histogram.fromSnapshot(r.duration));
      w.past.cluster = addCounts(w.past.cluster, r.cluster);
      w.report = null;
    }
    if (w.armedAtNs !== null && !w.final) {
      const due = deadlinesPassed(w.anchorNs, BigInt(this.#config.intervalUs) * 1000n, w.armedAtNs, w.stopAtNs ?? binding.now());
      const lost = Math.max(0, due - (r?.counters.ticks ?? 0) - (r?.counters.idle ?? 0));
      w.past.counters.ticks += lost;
      w.past.counters.missed += lost;
    }
    w.armedAtNs = null;
  }

  #fail(w: Worker, code: number | null, signal: NodeJS.Signals | null, reason: WorkerExitReason, exits: number): void {
    this.#failed = true;
    w.state = 'failed';
    const how = reason === 'watchdog' ? 'was killed as unresponsive' : reason === 'start-timeout' ? 'timed out starting'
      : reason === 'spawn-failed' ? 'could not be started' : `exited (${signal ?? `code ${code}`})`;
    const err = new RTimerError('ERR_RTIMER_WORKER_FAILED',
      `timer "${this.#config.name}" failed: worker ${w.index} ${how}, ${exits} ${exits === 1 ? 'exit' : 'exits'} within ` +
      `${this.#opts.restartWindowMs} ms (maxRestarts ${this.#opts.maxRestarts}); its other workers are stopped`);
    this.cluster?.release();
    this.emit('timer-failed', { timer: this.#config.name, error: err });
    this.emit('error', err);
    void this.stop();
  }

  /** Asks a running worker to finish its route in flight, then kills it after the grace period; kills one still starting. */
  async #stopWorker(w: Worker): Promise<void> {
    if (w.restartTimer) { clearTimeout(w.restartTimer); w.restartTimer = null; }
    w.waiting?.reject(this.#stoppedError());
    const child = w.child;
    if (!child) { if (w.state !== 'failed') w.state = 'stopped'; return; }
    if (child.exitCode !== null || child.signalCode !== null) { await w.gone; return; }
    child.ref(); // an unref()'d child would let the loop end before stop() settles
    if (w.state !== 'running') {
      child.kill('SIGKILL');
      await w.gone;
      return;
    }
    w.stopAtNs = binding.now();
    this.#send(child, { rtimer: TAG, type: 'stop' });
    const grace = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopGraceMs);
    await w.gone;
    clearTimeout(grace);
  }

  async #kill(w: Worker): Promise<void> {
    if (w.restartTimer) { clearTimeout(w.restartTimer); w.restartTimer = null; }
    const child = w.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await w.gone;
  }

  #startWatchdog(): void {
    const ms = this.#opts.watchdogMs;
    if (ms <= 0 || this.#stopping || this.#watchdog) return;
    const now = Date.now();
    for (const w of this.#workers) w.lastSeen = now;
    this.#lastCheck = now;
    const period = Math.max(10, Math.min(1000, ms / 4));
    this.#watchdog = setInterval(() => this.#check(), period).unref();
  }

  #check(): void {
    const now = Date.now();
    const ms = this.#opts.watchdogMs;
    const stalled = now - this.#lastCheck > ms / 2;
    this.#lastCheck = now;
    for (const w of this.#workers) {
      // This process itself was stalled: the workers' reports are still queued, unread.
      if (stalled) { w.lastSeen = now; continue; }
      const child = w.child;
      if (w.state !== 'running' || !child || w.stopAtNs !== null || w.unresponsive) continue;
      const silentMs = now - w.lastSeen;
      if (silentMs < ms) continue;
      w.unresponsive = true;
      const killed = this.#opts.watchdogKill;
      this.emit('worker-unresponsive', { timer: this.#config.name, worker: w.index, pid: child.pid, silentMs, killed } satisfies WorkerUnresponsiveEvent);
      if (killed) { w.killReason = 'watchdog'; child.kill('SIGKILL'); }
    }
  }
}

function addCounts(a: ClusterCounts, b: ClusterCounts | undefined): ClusterCounts {
  return b ? { standby: a.standby + b.standby, fenced: a.fenced + b.fenced, rebalanced: a.rebalanced + b.rebalanced } : { ...a };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
