/**
 * What the parent of a mode=N cluster timer tells its workers (lib/process carries it over IPC):
 * the parent holds the etcd session, the election and the claims; its workers only run what the
 * latest grant allows, and only until `runUntil` on the monotonic clock (shared by every process
 * of a host), so the workers of a frozen parent stop by themselves.
 */
export interface ClusterGrant {
  /** Monotonic ns: the parent's renew deadline when it sent this (0n: none). */
  runUntil: bigint;
  /** `once`: whether the parent leads, in which term, and the ticks [from, to] it claimed in it. */
  role: 'leader' | 'member';
  term: number;
  from: number;
  to: number;
  /** `slices`: the live members as the parent sees them (absent for `once`). */
  members?: { node: string; instance: string; since: number }[];
}

/** What a worker of a mode=N cluster timer is told at start, beside the grants. */
export interface WorkerClusterInfo {
  node: string;
  /** The global number of the grid point the parent sends as the arm anchor. */
  base: number;
}

/** The per-worker counters of a cluster timer, reported with the worker's figures. */
export interface ClusterCounts { standby: number; fenced: number; rebalanced: number }

export const noGrant = (): ClusterGrant => ({ runUntil: 0n, role: 'member', term: 0, from: 0, to: -1 });

const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A grant as the worker received it, or null when it is not one (checked as strictly as every IPC message). */
export function parseGrant(g: unknown): ClusterGrant | null {
  if (!obj(g) || typeof g.runUntil !== 'bigint' || (g.role !== 'leader' && g.role !== 'member') || !int(g.term) || !int(g.from) || !int(g.to)) return null;
  if (g.members !== undefined) {
    if (!Array.isArray(g.members) || g.members.length > 100_000) return null;
    for (const m of g.members) {
      if (!obj(m) || typeof m.node !== 'string' || typeof m.instance !== 'string' || typeof m.since !== 'number') return null;
    }
  }
  return g as unknown as ClusterGrant;
}

export function parseWorkerCluster(c: unknown): WorkerClusterInfo | null {
  return obj(c) && typeof c.node === 'string' && int(c.base) ? c as unknown as WorkerClusterInfo : null;
}

export function parseCounts(c: unknown): ClusterCounts | null {
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return obj(c) && ok(c.standby) && ok(c.fenced) && ok(c.rebalanced) ? c as unknown as ClusterCounts : null;
}
