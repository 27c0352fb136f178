import type { TimerConfig } from '../config/types.js';
import type { Coordinator } from './coordinator.js';
import type { ClusterCounts, ClusterGrant, WorkerClusterInfo } from './grant.js';
import type { Grid } from './grid.js';
import type { ClusterTimerStats, OnceGate } from './once-gate.js';

/** How often a `once` parent checks its renew deadline while it leads (it runs no tick that would). */
const CHECK_MS = 100;

/**
 * The parent's side of a mode=N cluster timer: the parent holds the session and, for `once`, the
 * election and the claims (its OnceGate runs no tick itself); its workers get a grant at start and
 * again on every change: each acknowledged keep-alive (a later run-until deadline), a change of
 * role, term or claimed ticks, a change of the member set. lib/process carries the grants.
 */
export class WorkerFeed {
  readonly info: WorkerClusterInfo;
  /** Monotonic ns the workers are armed on: a grid point, so their ticks are the grid's. */
  readonly anchor: bigint;
  readonly #t: TimerConfig;
  readonly #co: Coordinator;
  readonly #gate: OnceGate | null;
  readonly #fns: ((g: ClusterGrant) => void)[] = [];
  #check: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(t: TimerConfig, grid: Grid, co: Coordinator, gate: OnceGate | null) {
    this.#t = t;
    this.#co = co;
    this.#gate = gate;
    this.info = { node: co.node, base: grid.base };
    this.anchor = grid.anchor;
    const push = () => this.#push();
    co.onRenew(push);
    if (gate) {
      gate.onChange = push;
      this.#check = setInterval(() => gate.check(), CHECK_MS);
      this.#check.unref();
    } else co.onMembers(push);
  }

  /** What the workers may run now. */
  grant(): ClusterGrant {
    if (this.#closed) return { runUntil: 0n, role: 'member', term: 0, from: 0, to: -1 };
    if (this.#gate) return this.#gate.grant();
    return { runUntil: this.#co.renewDeadline(), role: 'member', term: 0, from: 0, to: -1, members: [...this.#co.members().values()] };
  }

  /** `fn` hears every grant from now on. */
  onGrant(fn: (g: ClusterGrant) => void): void { this.#fns.push(fn); }

  #push(): void {
    if (this.#closed && this.#fns.length === 0) return;
    const g = this.grant();
    for (const fn of this.#fns) fn(g);
  }

  /** The timer's figures: the parent's role and claims, the workers' refusals summed. */
  stats(workers: (ClusterCounts | undefined)[]): ClusterTimerStats {
    const own = this.#gate?.stats() ?? { cluster: 'slices' as const, node: this.#co.node, role: 'member' as const, leader: null, term: 0,
      standby: 0, fenced: 0, rebalanced: 0, claims: 0, members: this.#co.members().size };
    for (const c of workers) {
      if (!c) continue;
      own.standby += c.standby;
      own.fenced += c.fenced;
      own.rebalanced += c.rebalanced;
    }
    return own;
  }

  /** The timer's workers failed for good: another node should run it, so this one resigns. */
  release(): void {
    void this.#gate?.close();
    this.close();
  }

  /** The workers hold nothing from now on (stop(): the gate has resigned). */
  close(): void {
    if (this.#check) { clearInterval(this.#check); this.#check = null; }
    this.#closed = true;
    this.#push();
    this.#fns.length = 0;
  }

  get timer(): string { return this.#t.name; }
}
