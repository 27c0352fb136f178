import { fork, type ChildProcess } from 'node:child_process';
import type { TimerConfig } from '../config/types.js';
import { RTimerError, RTimerRouteError } from '../errors.js';
import { nativeDetail, type NativeDetail } from '../schedule/native-runner.js';
import type { TimerCounters } from '../schedule/runtime.js';
import { Histogram } from '../stats/histogram.js';
import type { FromWorker, ToWorker, WorkerReport } from './protocol.js';
import { firstFailure } from './settle.js';

// dist/ and lib/ sit at the same depth, so this finds the compiled entry point from either.
const WORKER_MAIN = new URL('../../dist/process/worker-main.js', import.meta.url);

export interface SupervisorOptions {
  /** Restarts allowed per worker within `restartWindowMs` before the timer is marked failed. Default 5. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** First restart delay, doubled on each restart in the window, at most `maxBackoffMs`. Default 100. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long stop() lets a worker finish its route in flight before it is killed. Default 2000. */
  stopGraceMs?: number;
  /** How long a worker has to load the routes and arm its timer. Default 30000. */
  startTimeoutMs?: number;
  /** How often workers report their statistics. Default 1000. */
  statsIntervalMs?: number;
}

export type WorkerState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface WorkerStats extends TimerCounters {
  worker: number;
  pid: number | undefined;
  state: WorkerState;
  restarts: number;
  lateness: Histogram;
  duration: Histogram;
  native?: NativeDetail;
}

export interface WorkerEvent { timer: string; worker: number; pid: number | undefined }
export interface WorkerExitEvent extends WorkerEvent { code: number | null; signal: NodeJS.Signals | null; restartInMs: number | null }

type Emit = (event: 'error' | 'worker-exit' | 'worker-restart' | 'timer-failed', payload: unknown) => void;

interface Worker {
  index: number;
  child: ChildProcess | null;
  state: WorkerState;
  restarts: number[];
  report: WorkerReport | null;
  /** What earlier incarnations of this worker reported before they died. */
  past: { counters: TimerCounters; lateness: Histogram; duration: Histogram };
  restartTimer: NodeJS.Timeout | null;
  pid: number | undefined;
  /** The step of its start under way: resolved by 'loaded' or 'armed', rejected by a failure. */
  waiting: { resolve(): void; reject(err: Error): void } | null;
  /** True until its first start succeeds: a failure then rejects start() instead of restarting. */
  initial: boolean;
}

const zero = (): TimerCounters => ({ ticks: 0, executions: 0, missed: 0, errors: 0, routeCalls: 0 });

/**
 * A mode=N timer: N forked processes, each running the timer's routes on its own native timer,
 * supervised (restart with backoff, keeping index and phase) and never left orphaned.
 */
export class ProcessTimer {
  readonly #workers: Worker[];
  readonly #opts: Required<SupervisorOptions>;
  #anchor = 0n;
  #stopping = false;
  #refed = true;
  #failed = false;

  constructor(readonly config: TimerConfig, private readonly routes: string, options: SupervisorOptions, private readonly emit: Emit) {
    this.#opts = {
      maxRestarts: 5, restartWindowMs: 60_000, backoffMs: 100, maxBackoffMs: 5_000, stopGraceMs: 2_000,
      startTimeoutMs: 30_000, statsIntervalMs: 1_000, ...options,
    };
    this.#workers = Array.from({ length: config.mode as number }, (_, index) => ({
      index, child: null, state: 'starting', restarts: [], report: null, restartTimer: null, pid: undefined, waiting: null, initial: true,
      past: { counters: zero(), lateness: new Histogram(), duration: new Histogram() },
    }));
  }

  get failed(): boolean { return this.#failed; }

  /** Forks every worker and waits until each has loaded the routes and run its start hook. */
  async load(): Promise<void> {
    await this.#settleAll(this.#workers.map((w) => this.#spawn(w)));
  }

  /** Arms every worker's timer on `anchorNs` (plus its stagger); resolves when all are armed. */
  async arm(anchorNs: bigint): Promise<void> {
    this.#anchor = anchorNs;
    await this.#settleAll(this.#workers.map((w) => this.#arm(w)));
    for (const w of this.#workers) w.initial = false;
  }

  /** On any failure: kills every worker, waits for them to be gone, rejects with the first failure. */
  async #settleAll(steps: Promise<void>[]): Promise<void> {
    const failure = await firstFailure(steps);
    if (failure !== undefined) {
      this.#stopping = true;
      await Promise.all(this.#workers.map((w) => this.#kill(w)));
      throw failure;
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers.map((w) => this.#stopWorker(w)));
  }

  ref(): void { this.#refed = true; for (const w of this.#workers) this.#applyRef(w.child); }
  unref(): void { this.#refed = false; for (const w of this.#workers) this.#applyRef(w.child); }

  workers(): WorkerStats[] {
    return this.#workers.map((w) => {
      const r = w.report;
      const n = r ? nativeDetail(r.native) : null;
      const counters = zero();
      for (const k of Object.keys(counters) as (keyof TimerCounters)[]) counters[k] = w.past.counters[k] + (r?.counters[k] ?? 0);
      const lateness = new Histogram().add(w.past.lateness);
      const duration = new Histogram().add(w.past.duration);
      if (n) lateness.add(n.lateness);
      if (r) duration.add(Histogram.fromSnapshot(r.duration));
      return { worker: w.index, pid: w.pid, state: w.state, restarts: w.restarts.length, ...counters, lateness, duration, native: n?.native };
    });
  }

  #applyRef(child: ChildProcess | null): void {
    if (!child) return;
    const channel = child.channel as { ref?(): void; unref?(): void } | undefined;
    if (this.#refed) { child.ref(); channel?.ref?.(); } else { child.unref(); channel?.unref?.(); }
  }

  #where(w: Worker, pid?: number): string {
    return `timer "${this.config.name}" worker ${w.index}${pid ? ` (pid ${pid})` : ''}`;
  }

  #step(w: Worker, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => fail(new RTimerError('ERR_RTIMER_WORKER_START',
        `${this.#where(w, w.pid)} did not ${what} within ${this.#opts.startTimeoutMs} ms`)), this.#opts.startTimeoutMs);
      const fail = (err: Error) => { clearTimeout(timeout); w.waiting = null; reject(err); };
      w.waiting = { resolve: () => { clearTimeout(timeout); w.waiting = null; resolve(); }, reject: fail };
    });
  }

  #spawn(w: Worker): Promise<void> {
    const child = fork(WORKER_MAIN, [], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, RTIMER_PARENT_PID: String(process.pid) },
    });
    w.child = child;
    w.pid = child.pid;
    w.state = 'starting';
    w.report = null;
    this.#applyRef(child);
    const loaded = this.#step(w, 'load its routes');
    child.on('error', (err) => w.waiting?.reject(new RTimerError('ERR_RTIMER_WORKER_START', `${this.#where(w)}: ${err.message}`)));
    child.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'loaded':
        case 'armed':
          if (m.type === 'armed') w.state = 'running';
          w.waiting?.resolve();
          break;
        case 'failed':
          w.waiting?.reject(new RTimerError(m.code, `${this.#where(w, child.pid)}: ${m.message}`));
          break;
        case 'route-error': {
          const cause = Object.assign(new Error(m.message), { stack: m.stack });
          this.emit('error', new RTimerRouteError(this.config.name, m.route, w.index, cause));
          break;
        }
        case 'stats':
        case 'stopped':
          w.report = m.report;
          break;
      }
    });
    child.on('exit', (code, signal) => {
      w.waiting?.reject(new RTimerError('ERR_RTIMER_WORKER_START',
        `${this.#where(w, child.pid)} exited (${signal ?? `code ${code}`}) before its timer was armed`));
      this.#exited(w, child, code, signal);
    });
    child.send({ type: 'start', routes: this.routes, timer: this.config, worker: w.index,
      workers: this.config.mode as number, statsIntervalMs: this.#opts.statsIntervalMs } satisfies ToWorker);
    return loaded;
  }

  #arm(w: Worker): Promise<void> {
    const n = this.config.mode as number;
    const phase = this.config.stagger ? (BigInt(this.config.intervalUs) * 1000n * BigInt(w.index)) / BigInt(n) : 0n;
    const armed = this.#step(w, 'arm its timer');
    w.child?.send({ type: 'arm', anchorNs: this.#anchor + phase } satisfies ToWorker);
    return armed;
  }

  #exited(w: Worker, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (w.child !== child) return;
    w.child = null;
    if (w.report) {
      const n = nativeDetail(w.report.native);
      for (const k of Object.keys(w.past.counters) as (keyof TimerCounters)[]) w.past.counters[k] += w.report.counters[k];
      w.past.lateness.add(n.lateness);
      w.past.duration.add(Histogram.fromSnapshot(w.report.duration));
      w.report = null;
    }
    if (this.#stopping || w.initial) {
      if (w.state !== 'failed') w.state = 'stopped';
      return;
    }
    const now = Date.now();
    w.restarts = w.restarts.filter((t) => now - t < this.#opts.restartWindowMs);
    const restartInMs = w.restarts.length >= this.#opts.maxRestarts ? null
      : Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** w.restarts.length);
    this.emit('worker-exit', { timer: this.config.name, worker: w.index, pid: child.pid, code, signal, restartInMs } satisfies WorkerExitEvent);
    if (restartInMs === null) {
      this.#fail(w, code, signal);
      return;
    }
    w.restarts.push(now);
    w.state = 'restarting';
    w.restartTimer = setTimeout(() => {
      w.restartTimer = null;
      if (this.#stopping) return;
      this.#spawn(w).then(() => this.#arm(w)).then(
        () => this.emit('worker-restart', { timer: this.config.name, worker: w.index, pid: w.child?.pid, restarts: w.restarts.length }),
        (err: Error) => this.emit('error', err));
    }, restartInMs);
    if (!this.#refed) w.restartTimer.unref();
  }

  #fail(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#failed = true;
    w.state = 'failed';
    const err = new RTimerError('ERR_RTIMER_WORKER_FAILED',
      `timer "${this.config.name}" failed: worker ${w.index} exited (${signal ?? `code ${code}`}) ` +
      `${this.#opts.maxRestarts} times within ${this.#opts.restartWindowMs} ms; its other workers are stopped`);
    this.emit('timer-failed', { timer: this.config.name, error: err });
    this.emit('error', err);
    this.#stopping = true;
    for (const other of this.#workers) if (other !== w) void this.#stopWorker(other);
  }

  /** Asks the worker to finish its route in flight, then kills it after the grace period. */
  async #stopWorker(w: Worker): Promise<void> {
    if (w.restartTimer) { clearTimeout(w.restartTimer); w.restartTimer = null; }
    const child = w.child;
    if (!child) { if (w.state !== 'failed') w.state = 'stopped'; return; }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref(); // an unref()'d child would let the loop end before stop() settles
    if (child.connected) child.send({ type: 'stop' } satisfies ToWorker, () => undefined);
    const grace = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopGraceMs);
    await exited;
    clearTimeout(grace);
  }

  async #kill(w: Worker): Promise<void> {
    const child = w.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }
}
