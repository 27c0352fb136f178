import type { TimerConfig } from '../config/types.js';
import { RTimerError, RTimerRouteError, RTimerStopGraceError } from '../errors.js';
import type { ControlVerb } from '../process/protocol.js';
import type { WorkerStats } from '../process/supervisor.js';
import { describeThrown } from '../process/describe.js';
import { findRoute, loadRoutes, resolveRoutes, type Route } from '../route/routes.js';
import { applyControl, nativeCounts } from '../schedule/control.js';
import type { LoopState } from '../schedule/lifecycle.js';
import { TimerRuntime } from '../schedule/runtime.js';
import { SimulatedLoop, type LoopClock, type SimulatedTimer } from '../schedule/simulated-loop.js';
import { StopDrain } from '../schedule/stop-drain.js';
import type { DedicatedEmit, DedicatedTimer, VirtualHost } from '../schedule/virtual-host.js';
import { WorkerTimeline } from './worker-timeline.js';

interface SimWorker {
  index: number;
  runtime: TimerRuntime;
  timer: SimulatedTimer;
  info: { timer: string; worker: number; workers: number; pid: number };
  onStop: Route | undefined;
  anchorNs: bigint | null;
  stopped: boolean;
}

/** Distinguishes the module instances of every simulated worker ever loaded in this process. */
let generation = 0;

/** The routes module as a fresh instance: ESM caches by URL, so a query of its own gives one. */
function workerUrl(url: string, worker: number): string {
  const u = new URL(url);
  u.searchParams.set('rtimer-worker', String(worker));
  u.searchParams.set('rtimer-v', String(++generation));
  return u.href;
}

/**
 * A mode=N timer on a VirtualClock: its N workers simulated in this process, each what a forked
 * worker is (lib/process/worker-main.ts): its own instance of the routes module, onWorkerStart and
 * onWorkerStop, its own ctx.worker, start/loop/end and slices, and its own event loop (ticks of two
 * workers are never one batch) and time (one worker's spend() holds up no other). Nothing is forked, so nothing restarts, dies or is killed.
 */
export class SimulatedProcessTimer implements DedicatedTimer {
  readonly config: Readonly<TimerConfig>;
  readonly #workers: SimWorker[] = [];
  #paused = false;
  #stopping: Promise<void> | null = null;

  constructor(config: TimerConfig, private readonly url: string, private readonly graceMs: number,
    private readonly emit: DedicatedEmit, private readonly host: VirtualHost, private readonly shared: LoopClock) {
    this.config = structuredClone(config);
  }

  get failed(): boolean { return false; }
  get paused(): boolean { return this.#paused; }

  /** Loads each worker's own routes module instance and runs its onWorkerStart and start route. */
  async load(): Promise<void> {
    const t = this.config as TimerConfig;
    const n = t.mode as number;
    for (let index = 0; index < n && !this.#stopping; index++) {
      const { routes } = await loadRoutes(workerUrl(this.url, index));
      const found = resolveRoutes(routes, this.url, [t]);
      const hook = (name: string | undefined) => (name === undefined ? undefined : found.get(name));
      const info = { timer: t.name, worker: index, workers: n, pid: process.pid };
      const onStart = findRoute(routes, 'onWorkerStart') as ((i: unknown) => unknown) | undefined;
      try {
        await onStart?.(info);
      } catch (err) {
        throw new RTimerError('ERR_RTIMER_WORKER_INIT', `onWorkerStart of ${this.url} threw: ${describeThrown(err).message}`);
      }
      // Its own time: what its routes spend holds up its ticks only, as in a process of its own.
      const time = new WorkerTimeline(this.shared);
      const spend = (d: Parameters<WorkerTimeline['spend']>[0]) => time.spend(d);
      const runtime = new TimerRuntime(t, t.routes.map((r) => found.get(r)!), index,
        (err) => this.emit('error', err), false, {
          start: hook(t.start), end: hook(t.end), now: () => time.now(), spend,
          onState: (c) => this.emit('timer-state', { timer: t.name, worker: index, ...c }),
        });
      this.host.track(runtime, index, spend);
      const w: SimWorker = { index, runtime, timer: new SimulatedLoop(time).timer(runtime), info, anchorNs: null, stopped: false,
        onStop: findRoute(routes, 'onWorkerStop') };
      this.#workers.push(w);
      const begun = (async () => { await runtime.life.begin('start'); await runtime.settled(); })();
      try {
        await this.host.starting(begun, [runtime]);
      } catch (err) {
        // Its start route never returns: stop() has nothing of it to wait for.
        runtime.life.halted = true;
        this.#workers.pop();
        throw err;
      }
    }
  }

  /** Arms every worker on `anchorNs`, spread over the interval with stagger. */
  async arm(anchorNs: bigint): Promise<void> {
    const interval = BigInt(this.config.intervalUs) * 1000n;
    const n = BigInt(this.#workers.length);
    for (const w of this.#workers) {
      w.anchorNs = anchorNs + (this.config.stagger ? (interval * BigInt(w.index)) / n : 0n);
      w.timer.start(w.anchorNs);
    }
  }

  async control(verb: ControlVerb): Promise<void> {
    if (verb === 'pause') this.#paused = true;
    else if (verb !== 'tick') this.#paused = false;
    if (this.#stopping) return;
    await Promise.all(this.#workers.map((w) => applyControl(w.runtime, verb)));
  }

  /** As a worker stops: no tick after, end once, then onWorkerStop; a route past the grace period is abandoned. */
  stop(): Promise<void> {
    this.#stopping ??= Promise.all(this.#workers.map(async (w) => {
      const rt = w.runtime;
      rt.life.halted = true;
      await w.timer.halt();
      const abandon = (e: { route: number; on: string }) => {
        const route = e.on === 'start' ? rt.config.start! : e.on === 'end' ? rt.config.end! : rt.config.routes[e.route];
        this.emit('error', new RTimerStopGraceError(rt.name, route, w.index, this.graceMs));
      };
      await new StopDrain([rt], this.graceMs, abandon, this.host.grace).all();
      await rt.life.finish('stop');
      await new StopDrain([rt], this.graceMs, abandon, this.host.grace).all();
      try {
        await (w.onStop as ((i: unknown) => unknown) | undefined)?.(w.info);
      } catch (err) {
        this.emit('error', new RTimerRouteError(rt.name, 'onWorkerStop', w.index, err));
      }
      w.stopped = true;
      this.host.untrack(rt);
    })).then(() => undefined);
    return this.#stopping;
  }

  workers(): WorkerStats[] {
    return this.#workers.map((w) => {
      const n = w.timer.stats();
      return {
        worker: w.index, pid: process.pid, state: w.stopped ? 'stopped' : 'running', restarts: 0,
        ...w.runtime.counters, ...nativeCounts(n, w.runtime), lateness: n.lateness, duration: w.runtime.duration, native: n.native,
      };
    });
  }

  loops(): LoopState[] { return this.#workers.map((w) => w.runtime.life.current); }

  nextDeadline(now: bigint): bigint | null {
    const interval = BigInt(this.config.intervalUs) * 1000n;
    let best: bigint | null = null;
    for (const w of this.#workers) {
      if (w.anchorNs === null || w.stopped || w.runtime.life.current === 'ended') continue;
      const d = w.anchorNs + (now < w.anchorNs ? 1n : (now - w.anchorNs) / interval + 1n) * interval;
      if (best === null || d < best) best = d;
    }
    return best;
  }

  ref(): void { /* nothing real to keep alive */ }
  unref(): void { /* idem */ }
}
