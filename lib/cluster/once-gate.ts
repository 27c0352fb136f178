import type { TimerConfig } from '../config/types.js';
import type { ClusterTickView } from '../route/context.js';
import type { TickGate } from '../schedule/runtime.js';
import type { SliceFields } from '../schedule/slices.js';
import { keySegment, type Candidacy, type Coordinator } from './coordinator.js';
import { noGrant, type ClusterCounts, type ClusterGrant } from './grant.js';
import { clusterFields, type Grid } from './grid.js';

const hrtime = process.hrtime.bigint;
const MS = 1_000_000n;

/** Claims cover at least this much time: at most ~20 claim requests a second at any interval. */
export const CLAIM_WINDOW_MS = 50;

export type ClusterEmit = (event: 'cluster-acquired' | 'cluster-lost' | 'cluster-members', payload: object) => void;

/** A cluster timer's figures (stats().cluster, list(), metrics). */
export interface ClusterTimerStats {
  cluster: 'once' | 'slices';
  node: string;
  role: 'leader' | 'member';
  /** `once`: the node that leads, as last seen (null: none known). */
  leader: string | null;
  /** `once`: the leadership's term while this node leads, else 0. */
  term: number;
  /** Ticks this node did not run because another node runs them (or nobody yet, at a failover). */
  standby: number;
  /** Ticks refused by fencing: this node believed it led (or held tasks) but its renew deadline had passed. */
  fenced: number;
  /** `slices`: ticks of a slice cycle in which the member set changed. */
  rebalanced: number;
  /** `once`: claim transactions sent. */
  claims: number;
  /** Live nodes under the prefix, as this node sees them. */
  members: number;
}

/**
 * A `once` timer: only the leader of the timer's election runs ticks, and only ticks it claimed in
 * etcd for its term (a compare-and-swap ahead of the deadline), each while its renew deadline
 * holds (checked when the tick is prepared, again right before the call, and when a claim returns).
 */
export class OnceGate implements TickGate {
  role: 'leader' | 'member' = 'member';
  term = 0;
  leader: string | null = null;
  standby = 0;
  fenced = 0;
  claims = 0;
  readonly #t: TimerConfig;
  readonly #grid: Grid;
  readonly #co: Coordinator;
  readonly #emit: ClusterEmit;
  #candidacy: Candidacy | null = null;
  /** Ticks [claimFrom, claimTo] are claimed for `term`. */
  #claimFrom = 0;
  #claimTo = -1;
  /** The first tick not yet claimed. */
  #next = 0;
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #batch: number;
  /** How long before its first deadline a claim is sent (see #claimLoop). */
  readonly #baseLeadNs: bigint;
  /** The slowest recent claim, decaying by a tenth per claim, ns. */
  #slowNs = 0n;
  /** Told of every change of role, term or claimed ticks (a mode=N timer's feed to its workers). */
  onChange: (() => void) | null = null;

  constructor(t: TimerConfig, grid: Grid, co: Coordinator, emit: ClusterEmit) {
    this.#t = t;
    this.#grid = grid;
    this.#co = co;
    this.#emit = emit;
    const intervalMs = t.intervalUs / 1000;
    const windowMs = Math.max(intervalMs, CLAIM_WINDOW_MS);
    this.#batch = Math.max(1, Math.ceil(CLAIM_WINDOW_MS / intervalMs));
    // A claim is sent this long before its first deadline: a txn takes ms, a loaded etcd more.
    this.#baseLeadNs = BigInt(Math.round(Math.min(Math.max(windowMs / 2, 25), 500) * 1000)) * 1000n;
  }

  /** Ticks per claim: ⌈50 ms / interval⌉ (1 for intervals of 50 ms and more). */
  get batch(): number { return this.#batch; }

  start(): void {
    this.#candidacy = this.#co.campaign(keySegment(this.#t.name), {
      leading: (term) => this.#leading(term),
      following: (leader) => this.#following(leader),
    });
  }

  number(k: number): number { return this.#grid.base + k; }

  admit(n: number): boolean {
    if (this.role !== 'leader') { this.standby++; return false; }
    if (hrtime() >= this.#co.renewDeadline()) { this.fenced++; this.#lose('renew deadline passed'); return false; }
    if (n < this.#claimFrom || n > this.#claimTo) { this.standby++; return false; }
    return true;
  }

  still(_n: number): boolean {
    if (this.role === 'leader' && hrtime() < this.#co.renewDeadline()) return true;
    this.fenced++;
    if (this.role === 'leader') this.#lose('renew deadline passed');
    return false;
  }

  fields(n: number): SliceFields { return clusterFields(this.#t, n); }

  view(_n: number): ClusterTickView { return { cluster: { node: this.#co.node, role: this.role, term: this.term } }; }

  /** What a mode=N timer's workers may run now: the claimed ticks of this term, until the renew deadline. */
  grant(): ClusterGrant {
    const runUntil = this.#co.renewDeadline();
    return this.role === 'leader' ? { runUntil, role: 'leader', term: this.term, from: this.#claimFrom, to: this.#claimTo } : { ...noGrant(), runUntil };
  }

  /**
   * Leadership ends once the renew deadline passed: a mode=N parent runs no tick itself, so it checks
   * this on a timer (its workers stop at the deadline on their own).
   */
  check(): void {
    if (this.role === 'leader' && hrtime() >= this.#co.renewDeadline()) this.#lose('renew deadline passed');
  }

  counts(): ClusterCounts { return { standby: this.standby, fenced: this.fenced, rebalanced: 0 }; }

  stats(): ClusterTimerStats {
    return { cluster: 'once', node: this.#co.node, role: this.role, leader: this.leader, term: this.role === 'leader' ? this.term : 0,
      standby: this.standby, fenced: this.fenced, rebalanced: 0, claims: this.claims, members: this.#co.members().size };
  }

  #leading(term: number): void {
    if (this.#closed || (this.role === 'leader' && this.term === term)) return;
    // Leadership counts only while our lease is surely alive (a frozen node's key may still be first).
    if (hrtime() >= this.#co.renewDeadline()) return;
    if (this.role === 'leader') this.#lose('new term');
    this.role = 'leader';
    this.term = term;
    this.leader = this.#co.node;
    // Never a tick whose deadline is before the moment we became leader.
    this.#next = this.#grid.after(hrtime());
    this.#claimFrom = this.#next;
    this.#claimTo = this.#next - 1;
    this.#emitSafe('cluster-acquired', { timer: this.#t.name, node: this.#co.node, term });
    this.onChange?.();
    void this.#claimLoop(term);
  }

  #following(leader: string | null): void {
    if (this.role === 'leader') this.#lose(leader === null ? 'election unreachable' : `${leader} leads`);
    this.leader = leader;
  }

  #lose(reason: string): void {
    if (this.role !== 'leader') return;
    const term = this.term;
    this.role = 'member';
    this.#claimTo = -1;
    this.leader = null;
    this.#wake?.();
    this.onChange?.();
    this.#emitSafe('cluster-lost', { timer: this.#t.name, node: this.#co.node, term, reason });
  }

  #emitSafe(event: 'cluster-acquired' | 'cluster-lost', payload: object): void {
    this.#emit(event, payload);
  }

  #leads(term: number): boolean { return !this.#closed && this.role === 'leader' && this.term === term; }

  /** Claims each batch `lead` before its first deadline, for as long as we lead in `term`. */
  async #claimLoop(term: number): Promise<void> {
    while (this.#leads(term)) {
      const now = hrtime();
      // Behind (claims failed for a while): never claim a tick whose deadline has passed.
      if (this.#grid.deadline(this.#next) <= now) this.#next = this.#grid.after(now);
      const waitNs = this.#grid.deadline(this.#next) - this.#lead() - now;
      if (waitNs > 0n) await this.#sleep(Number(waitNs / MS));
      if (!this.#leads(term)) return;
      const first = this.#next;
      const last = first + this.#batch - 1;
      let res;
      const sent = hrtime();
      try {
        this.claims++;
        res = await this.#candidacy!.claim(term, first, last);
        const took = hrtime() - sent;
        this.#slowNs = took > this.#slowNs ? took : (this.#slowNs * 9n) / 10n;
      } catch {
        await this.#sleep(CLAIM_WINDOW_MS); // bounded retry rate
        continue;
      }
      if (!this.#leads(term)) return;
      if (res.ok) {
        // The claim may have taken long: the deadline again before the claim counts.
        if (hrtime() >= this.#co.renewDeadline()) { this.#lose('renew deadline passed during a claim'); return; }
        if (first !== this.#claimTo + 1) this.#claimFrom = first;
        this.#claimTo = last;
        this.#next = last + 1;
        this.onChange?.();
      } else if (res.lost) {
        this.#lose('election key gone');
        return;
      } else {
        // A deposed leader claimed up to `through`: those ticks are its, never re-run here.
        this.#next = Math.max(first, res.through + 1);
      }
    }
  }

  /**
   * The base lead, or twice the slowest recent claim when etcd is slower (a loaded host): claims stay
   * ahead of their deadlines, up to 500 ms ahead; the rate stays one claim per window.
   */
  #lead(): bigint {
    const adaptive = 2n * this.#slowNs;
    const max = 500n * MS;
    return adaptive > this.#baseLeadNs ? (adaptive < max ? adaptive : max) : this.#baseLeadNs;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wake = null; resolve(); }, ms);
      t.unref();
      this.#wake = () => { clearTimeout(t); this.#wake = null; resolve(); };
    });
  }

  /** Resigns at once: the next candidate leads without waiting for our lease. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#lose('stopped');
    this.#closed = true;
    this.#wake?.();
    await this.#candidacy?.resign().catch(() => undefined);
  }
}
