import type { ClusterCounts } from '../cluster/grant.js';
import type { ClusterTimerStats } from '../cluster/once-gate.js';
import type { TimerState } from '../ctl/types.js';
import { nativeCounts } from '../schedule/control.js';
import type { TimerCounters, TimerRuntime } from '../schedule/runtime.js';
import type { TimerParts } from '../schedule/timer-parts.js';
import type { DedicatedTimer } from '../schedule/virtual-host.js';
import { Histogram } from './histogram.js';
import type { TimerStats } from './timer-stats.js';

/**
 * stats() of an RTimer, per timer in declaration order: an inline timer's counters with its engine's,
 * a mode=N timer's summed over its workers. `stopped`: the RTimer is idle or stopped.
 */
export function collectStats(parts: TimerParts, stopped: boolean): TimerStats[] {
  const local = parts.runtimes.map((rt): TimerStats => {
    const base = { name: rt.name, mode: rt.config.mode, intervalUs: rt.config.intervalUs, ...rt.counters,
      lateness: rt.lateness, duration: rt.duration, abandoned: rt.abandoned, state: localState(rt, stopped), ...clusterStats(parts, rt.name) };
    const runner = parts.runners.get(rt);
    if (!runner) return base;
    const { dispatchErrors, raw: _raw, ...n } = runner.stats();
    return { ...base, ...n, ...nativeCounts(n, rt), errors: base.errors + dispatchErrors };
  });
  const dedicated = parts.processes.map((p): TimerStats => {
    const workers = p.workers();
    const sum = (k: keyof TimerCounters) =>
      workers.reduce((n, w) => n + w[k], 0);
    const lateness = new Histogram();
    const duration = new Histogram();
    for (const w of workers) { lateness.add(w.lateness); duration.add(w.duration); }
    return { name: p.config.name, mode: p.config.mode, intervalUs: p.config.intervalUs, ticks: sum('ticks'), idle: sum('idle'),
      executions: sum('executions'), missed: sum('missed'), paused: sum('paused'), errors: sum('errors'),
      routeCalls: sum('routeCalls'), triggered: sum('triggered'), lateness, duration, workers, failed: p.failed,
      state: processState(p, stopped), ...clusterStats(parts, p.config.name, workers.map((w) => w.cluster)) };
  });
  const order = new Map((parts.resolved ?? []).map((t, i) => [t.name, i]));
  return [...local, ...dedicated].sort((a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1));
}

function clusterStats(parts: TimerParts, name: string, workers?: (ClusterCounts | undefined)[]): { cluster?: ClusterTimerStats } {
  const cluster = parts.cluster?.stats(name, workers);
  return cluster ? { cluster } : {};
}

function localState(rt: TimerRuntime, stopped: boolean): TimerState {
  return stopped ? 'stopped' : rt.life.current;
}

function processState(p: DedicatedTimer, stopped: boolean): TimerState {
  if (p.failed) return 'failed';
  if (stopped) return 'stopped';
  if (p.paused) return 'paused';
  return p.loops().every((l) => l === 'ended') ? 'ended' : 'running';
}
