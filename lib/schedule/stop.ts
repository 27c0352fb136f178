import { RTimerStopGraceError } from '../errors.js';
import type { RTimerErrorEvent } from '../events.js';
import { clusterError } from '../cluster/etcd.js';
import type { Execution } from './runtime.js';
import { StopDrain } from './stop-drain.js';
import type { TimerParts } from './timer-parts.js';

/** Where stop() stands once nothing runs any more but executions in flight. */
export interface Halted {
  /** The executions in flight, within the grace period. */
  drain: StopDrain;
  /** The mode=N timers stopping. */
  processes: Promise<unknown>;
}

/** What stop() needs of its RTimer. */
export interface StopHost {
  /** start() in progress, if any: stop() waits for it to give up before it halts. */
  readonly starting: Promise<void> | null;
  readonly stopGraceMs: number;
  /** Closes the control sockets; called once the timers are told to halt. */
  closeServers(): Promise<unknown>[];
  /** Never throws. */
  reportError(err: RTimerErrorEvent): void;
  /** Called once everything has stopped, before `stopped` settles. */
  stopped(): void;
}

/**
 * stop() of an RTimer that started: halts every timer at once, then waits for the routes in flight
 * and runs ptimer's end routes, one stopGraceMs bounding it all. `halted` settles when nothing runs
 * but executions in flight (what stop() called from a route waits for), `stopped` when all is done.
 */
export function stopTimers(parts: TimerParts, host: StopHost): { halted: Promise<Halted>; stopped: Promise<void> } {
  const abandoned = (e: Execution) => {
    const rt = e.runtime;
    const route = e.on === 'start' ? rt.config.start! : e.on === 'end' ? rt.config.end! : rt.config.routes[e.route];
    host.reportError(new RTimerStopGraceError(rt.name, route, 0, host.stopGraceMs));
  };
  for (const rt of parts.runtimes) rt.life.halted = true;
  // Resigns at once (synchronously no tick is ours any more): the next node leads in about an interval.
  const cluster = parts.cluster?.close().catch((err: unknown) => host.reportError(clusterError(err)));
  const servers = host.closeServers();
  // Workers still starting are killed now (start() rejects with ERR_RTIMER_STOPPED), not waited for.
  const aborting = parts.processes.map((p) => p.stop());
  const halted = (async () => {
    await host.starting?.catch(() => undefined);
    const processes = Promise.all([...aborting, ...parts.processes.map((p) => p.stop())]);
    processes.catch(() => undefined); // awaited below, after the in-process timers halt
    parts.scheduler.halt();
    await Promise.all([...parts.runners.values()].map((r) => r.halt()));
    return { drain: new StopDrain(parts.runtimes, host.stopGraceMs, abandoned, parts.virtual?.grace), processes };
  })();
  const stopped = halted.then(async ({ drain, processes }) => {
    await Promise.all([drain.all(), processes, ...servers, cluster]);
    // ptimer's end, once per timer after its last tick, unless a -1 already ran it.
    for (const rt of parts.runtimes) void rt.life.finish('stop');
    // What the routes in flight left of the grace period: one stopGraceMs bounds the whole stop().
    await new StopDrain(parts.runtimes, Math.max(0, host.stopGraceMs - Math.ceil(drain.spentMs)), abandoned,
      parts.virtual?.grace).all();
    for (const rt of parts.runtimes) parts.virtual?.untrack(rt);
    host.stopped();
  });
  return { halted, stopped };
}
