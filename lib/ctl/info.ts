import type { TimerConfig } from '../config/types.js';
import type { TimerInfo, WorkerInfo } from './types.js';
import type { LoopState } from '../schedule/lifecycle.js';
import type { TimerStats } from '../stats/timer-stats.js';

/** One timer as rt.list() reports it: plain JSON, counters as in stats(). */
export function timerInfo(t: TimerConfig, s: TimerStats | undefined, nextDeadline: number | null, loops?: LoopState[]): TimerInfo {
  const workers: WorkerInfo[] = (s?.workers ?? []).map((w, i) => ({
    worker: w.worker,
    pid: w.pid ?? null,
    // A running worker whose loop is paused says so; its supervision state otherwise.
    state: w.state === 'running' && loops?.[i] === 'paused' ? 'paused' : w.state,
    restarts: w.restarts,
  }));
  return {
    name: t.name, state: s?.state ?? 'stopped', mode: t.mode, interval: t.interval, unit: t.unit, intervalUs: t.intervalUs,
    workers, nextDeadline: nextDeadline === null ? null : Math.round(nextDeadline),
    counters: {
      ticks: s?.ticks ?? 0, idle: s?.idle ?? 0, executions: s?.executions ?? 0, missed: s?.missed ?? 0, paused: s?.paused ?? 0,
      errors: s?.errors ?? 0, triggered: s?.triggered ?? 0,
    },
    ...(s?.cluster ? { cluster: { mode: s.cluster.cluster, node: s.cluster.node, role: s.cluster.role, leader: s.cluster.leader,
      term: s.cluster.term, fenced: s.cluster.fenced } } : {}),
  };
}
