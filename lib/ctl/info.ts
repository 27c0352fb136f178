import type { TimerConfig } from '../config/types.js';
import type { TimerInfo, WorkerInfo } from './types.js';
import type { LoopState } from '../schedule/lifecycle.js';
import type { TimerStats } from '../stats/timer-stats.js';
import { binding } from '../native/binding.js';
import { nextGrid } from '../schedule/phase.js';
import type { TimerParts } from '../schedule/timer-parts.js';

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

/** list() of an RTimer: every timer declared, its next deadline (epoch ms) while it runs. */
export function listTimers(parts: TimerParts, timers: readonly TimerConfig[], stats: TimerStats[], running: boolean): TimerInfo[] {
  const byName = new Map(stats.map((s) => [s.name, s]));
  const now = parts.virtual ? parts.virtual.now() : binding.now();
  const wall = parts.virtual ? parts.virtual.wallMs() : Date.now();
  const epochMs = (d: bigint | null) => (d === null ? null : wall + Number(d - now) / 1e6);
  return timers.map((t) => {
    const s = byName.get(t.name);
    const rt = parts.runtimes.find((r) => r.name === t.name);
    const p = parts.processes.find((x) => x.config.name === t.name);
    let next: number | null = null;
    if (running && s?.state === 'running') {
      if (rt && t.mode === 0) { const d = parts.scheduler.untilNext(rt); next = d === null ? null : wall + Number(d) / 1e6; }
      else if (rt) next = epochMs(nextGrid(parts.anchors.get(rt) ?? null, t.intervalUs, now));
      else if (p) next = epochMs(p.nextDeadline(now));
    }
    return timerInfo(t, s, next, p?.loops());
  });
}
