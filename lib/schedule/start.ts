import type { RTimerConfig } from '../config/config.js';
import type { TimerConfig } from '../config/types.js';
import { Cluster } from '../cluster/cluster.js';
import type { ClusterSettings } from '../cluster/options.js';
import { RTimerError, stoppedError, warnOnce, type RTimerRouteError } from '../errors.js';
import { binding } from '../native/binding.js';
import { startProcesses, type ProcessHost } from '../process/start.js';
import { isModuleSource, loadRoutes, resolveRoutes, type Route } from '../route/routes.js';
import { NativeRunner, rehearse } from './native-runner.js';
import { inlineAnchors } from './phase.js';
import { TimerRuntime } from './runtime.js';
import type { TimerParts } from './timer-parts.js';
import type { InlineRunner } from './virtual-host.js';

/** What start() needs of its RTimer besides the parts it fills. */
export interface StartHost extends ProcessHost {
  /** Warnings are given once per owner. */
  readonly owner: object;
  readonly cluster: ClusterSettings | undefined;
  /** Settles when stop() is called: start() stops waiting for start routes then. */
  readonly stopSignal: Promise<void>;
  /** False once stop() was called. */
  starting(): boolean;
}

/**
 * start() of an RTimer: resolves the timers into `parts`, loads the routes, joins the cluster, runs
 * ptimer's start routes, forks the mode=N workers, then arms every timer on one anchor. Returns early
 * (nothing more armed) once stop() came; on a failure stops what it started and rejects.
 */
export async function startTimers(parts: TimerParts, config: RTimerConfig, host: StartHost): Promise<void> {
  const timers = config.resolve();
  parts.resolved = timers;
  const v = parts.virtual;
  v?.check(timers);
  if (timers.length === 0) warnOnce(host.owner, 'RTIMER_NO_TIMERS', 'start() with no timers declared: nothing will run');
  const idle = timers.filter((t) => t.routes.length === 0 && t.start === undefined && t.end === undefined);
  if (idle.length) {
    const names = idle.slice(0, 5).map((t) => `"${t.name}"`).join(', ') + (idle.length > 5 ? ` and ${idle.length - 5} more` : '');
    warnOnce(host.owner, 'RTIMER_TIMER_NO_EXEC', `timer${idle.length > 1 ? 's' : ''} ${names} ` +
      `ha${idle.length > 1 ? 've' : 's'} no exec (no route): ${idle.length > 1 ? 'they tick' : 'it ticks'} and run${idle.length > 1 ? '' : 's'} nothing`);
  }
  parts.cluster = Cluster.for(host.cluster, timers, host.emit, host.reportError);
  const closures = host.routes !== undefined && !isModuleSource(host.routes);
  const dedicated = timers.filter((t) => typeof t.mode === 'number' && t.mode > 0);
  for (const t of dedicated) {
    if (closures || host.routes === undefined) {
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
    if (host.routes === undefined) {
      throw new RTimerError('ERR_RTIMER_ROUTES_MISSING', `timer "${withRoutes[0].name}" has routes but no routes were given`);
    }
    // stop() does not wait for a slow import: start() rejects at once, the import ends unheeded.
    const loading = loadRoutes(host.routes);
    loading.catch(() => undefined);
    const loaded = await Promise.race([loading, host.stopSignal.then(() => null)]);
    if (loaded === null) throw stoppedError();
    found = resolveRoutes(loaded.routes, loaded.from, withRoutes);
  }
  if (!host.starting()) return; // stop() came while the routes module loaded
  if (parts.cluster) {
    await Promise.race([parts.cluster.start(), host.stopSignal]);
    if (!host.starting()) return;
  }
  const onError = (err: RTimerRouteError) => host.reportError(err);
  const hook = (r: string | undefined) => (r === undefined ? undefined : found.get(r));
  const clusterNow = binding.now();
  const clusterOffset = parts.cluster ? binding.realtimeOffset() : 0n;
  const grids = new Map<TimerConfig, bigint>();
  parts.runtimes = local.map((t) => {
    const c = t.cluster !== undefined ? parts.cluster!.gate(t, clusterNow, clusterOffset) : undefined;
    if (c) grids.set(t, c.anchor);
    return new TimerRuntime(t, t.routes.map((r) => found.get(r)!), 0, onError, t.mode === 0, {
      start: hook(t.start), end: hook(t.end), onState: (ch) => host.emit('timer-state', { timer: t.name, ...ch }), gate: c?.gate,
      ...(v && { now: v.now, spend: v.spend }),
    });
  });
  for (const rt of parts.runtimes) v?.track(rt);
  // ptimer's start, once per timer before its first tick (which comes one interval after the arm).
  // A start route that never returns does not hold stop() up: stop()'s grace period covers it.
  const begun = Promise.all(parts.runtimes.map(async (rt) => { await rt.life.begin('start'); await rt.settled(); }));
  await Promise.race([v ? v.starting(begun, parts.runtimes) : begun, host.stopSignal]);
  if (!host.starting()) return;
  if (dedicated.length) await startProcesses(parts, dedicated, host);
  if (!host.starting()) return; // stop() came meanwhile; it stops the processes
  const runners: InlineRunner[] = [];
  try {
    // Warm start: the tick path runs dry before the first deadline, and its cost seeds the lead.
    const prepareNs = rehearse(parts.runtimes.filter((rt) => rt.config.mode !== 0));
    for (const rt of parts.runtimes) {
      if (rt.config.mode === 0) continue;
      const runner = v ? v.inline(rt) : new NativeRunner(rt, prepareNs);
      if (!host.refed()) runner.unref();
      runners.push(runner);
      parts.runners.set(rt, runner);
    }
    // One anchor for all, so timers of one interval tick in phase unless phase/stagger/align say otherwise.
    const started = [...parts.runners];
    const anchors = inlineAnchors(started.map(([, r]) => r.config), v ? v.now() : binding.now(), v ? v.realtimeOffset : binding.realtimeOffset);
    started.forEach(([rt, r], i) => {
      const anchor = grids.get(rt.config) ?? anchors[i]; // a cluster timer keeps the cluster's grid
      parts.anchors.set(rt, anchor);
      r.start(anchor);
    });
  } catch (err) {
    await Promise.all([...runners.map((r) => r.stop()), ...parts.processes.map((p) => p.stop())]);
    parts.runners.clear();
    parts.processes = [];
    throw err;
  }
  for (const rt of parts.runtimes) if (rt.config.mode === 0) parts.scheduler.add(rt, grids.get(rt.config));
  parts.scheduler.start();
}
