import type { TimerConfig } from '../config/types.js';
import type { ClusterTickView } from '../route/context.js';
import type { TickGate } from '../schedule/runtime.js';
import type { SliceFields } from '../schedule/slices.js';
import type { Member } from './coordinator.js';
import { noGrant, type ClusterCounts, type ClusterGrant, type WorkerClusterInfo } from './grant.js';
import { clusterFields, Grid } from './grid.js';
import { SlicesGate, type SessionView } from './slices-gate.js';

const hrtime = process.hrtime.bigint;

/** A worker's gate: fed the parent's grants; counts what it refused. */
export interface WorkerGate extends TickGate {
  apply(grant: ClusterGrant): void;
  counts(): ClusterCounts;
}

/**
 * A mode=N worker's `once` gate: it runs a tick only while its parent leads, only a tick the parent
 * claimed in etcd for that term, and only before the parent's renew deadline (checked when the tick
 * is prepared and again right before the call). A refusal by the deadline is `fenced`, and the
 * worker then holds nothing until a fresh grant comes (a frozen parent sends none).
 */
export class GrantedOnceGate implements WorkerGate {
  standby = 0;
  fenced = 0;
  #g: ClusterGrant = noGrant();

  constructor(readonly t: TimerConfig, readonly info: WorkerClusterInfo) {}

  apply(grant: ClusterGrant): void { this.#g = grant; }

  number(k: number): number { return this.info.base + k; }

  admit(n: number): boolean {
    const g = this.#g;
    if (g.role !== 'leader') { this.standby++; return false; }
    if (hrtime() >= g.runUntil) { this.#fence(); return false; }
    if (n < g.from || n > g.to) { this.standby++; return false; }
    return true;
  }

  still(_n: number): boolean {
    const g = this.#g;
    if (g.role === 'leader' && hrtime() < g.runUntil) return true;
    this.#fence();
    return false;
  }

  #fence(): void {
    this.fenced++;
    this.#g = noGrant();
  }

  fields(n: number): SliceFields { return clusterFields(this.t, n); }

  view(_n: number): ClusterTickView { return { cluster: { node: this.info.node, role: this.#g.role, term: this.#g.term } }; }

  counts(): ClusterCounts { return { standby: this.standby, fenced: this.fenced, rebalanced: 0 }; }
}

/** The parent's session as its grants describe it: SlicesGate reads a worker's like its own node's. */
class GrantedSession implements SessionView {
  runUntil = 0n;
  #members: ReadonlyMap<string, Member> = new Map();

  constructor(readonly node: string) {}

  renewDeadline(): bigint { return this.runUntil; }
  members(): ReadonlyMap<string, Member> { return this.#members; }

  apply(g: ClusterGrant): void {
    this.runUntil = g.runUntil;
    if (g.members) this.#members = new Map(g.members.map((m) => [m.node, m]));
  }
}

/** A mode=N worker's `slices` gate: the node's tasks, dealt to its workers in turn. */
export class GrantedSlicesGate extends SlicesGate implements WorkerGate {
  readonly #session: GrantedSession;

  constructor(t: TimerConfig, info: WorkerClusterInfo, worker: number, workers: number, intervalNs: bigint) {
    const session = new GrantedSession(info.node);
    // Only `base` is used here: the parent arms this worker on the grid's anchor.
    super(t, Grid.numbered(info.base, intervalNs), session, { worker, workers });
    this.#session = session;
  }

  apply(grant: ClusterGrant): void { this.#session.apply(grant); }
}

/** The gate of a mode=N cluster timer's worker. */
export function workerGate(t: TimerConfig, info: WorkerClusterInfo, worker: number, workers: number): WorkerGate {
  return t.cluster === 'once' ? new GrantedOnceGate(t, info)
    : new GrantedSlicesGate(t, info, worker, workers, BigInt(t.intervalUs) * 1000n);
}
