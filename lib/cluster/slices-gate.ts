import type { TimerConfig } from '../config/types.js';
import type { ClusterTickView } from '../route/context.js';
import type { TickGate } from '../schedule/runtime.js';
import type { SliceFields } from '../schedule/slices.js';
import { assignTasks } from './assign.js';
import type { Coordinator } from './coordinator.js';
import { clusterFields, type Grid } from './grid.js';
import type { ClusterCounts } from './grant.js';
import type { ClusterTimerStats } from './once-gate.js';

/** What a gate reads of the session: the node's own etcd session, or in a mode=N worker its parent's as granted. */
export type SessionView = Pick<Coordinator, 'node' | 'renewDeadline' | 'members'>;

const hrtime = process.hrtime.bigint;

/**
 * A `slices` timer: the tasks are spread over the live members by rendezvous hashing with bounded
 * load (assign.ts). Every node walks the same slices by global tick number (slice = tick mod
 * nslices); the member set is read at the start of each slice cycle (tick divisible by nslices),
 * taking members whose `since` is at or before the cycle's wall-clock start, so a node that joins
 * takes effect at one cycle boundary on every node. A leave is seen when its key goes (stop(), or
 * its lease expiring) and applies from the next cycle each node starts after seeing it.
 *
 * In a mode=N worker the session is the parent's, as granted (worker-gate.ts), and the node's tasks
 * are dealt to its workers in turn (the k-th task the node owns goes to worker k mod N), so every
 * task still runs once per cycle across the cluster.
 */
export class SlicesGate implements TickGate {
  standby = 0;
  fenced = 0;
  rebalanced = 0;
  readonly #t: TimerConfig;
  readonly #grid: Grid;
  readonly #co: SessionView;
  readonly #worker: number;
  readonly #workers: number;
  #cycle = -1;
  #changed = -1;
  #nodes: string[] = [];
  /** 1 for each task this process runs in the current cycle. */
  #mine: Uint8Array = new Uint8Array(0);
  #me = -1;

  constructor(t: TimerConfig, grid: Grid, co: SessionView, share = { worker: 0, workers: 1 }) {
    this.#t = t;
    this.#grid = grid;
    this.#co = co;
    this.#worker = share.worker;
    this.#workers = share.workers;
  }

  number(k: number): number { return this.#grid.base + k; }

  admit(n: number): boolean {
    // A node cut off from etcd keeps its tasks only until its lease would expire, then runs none.
    if (hrtime() >= this.#co.renewDeadline()) { this.fenced++; return false; }
    const cycle = Math.floor(n / this.#t.nslices);
    if (cycle !== this.#cycle) this.#enter(cycle);
    if (this.#changed === cycle) this.rebalanced++;
    if (this.#me < 0) { this.standby++; return false; }
    const [a, b] = this.fields(n).taskRange;
    for (let task = a; task < b; task++) if (this.#mine[task] === 1) return true;
    this.standby++;
    return false;
  }

  still(_n: number): boolean {
    if (hrtime() < this.#co.renewDeadline()) return true;
    this.fenced++;
    return false;
  }

  #enter(cycle: number): void {
    const startMs = this.#grid.wallMs(cycle * this.#t.nslices);
    const nodes = [...this.#co.members().values()].filter((m) => m.since <= startMs).map((m) => m.node).sort();
    const first = this.#cycle < 0;
    this.#cycle = cycle;
    if (!first && nodes.length === this.#nodes.length && nodes.every((x, i) => x === this.#nodes[i])) return;
    if (!first) this.#changed = cycle;
    const { owner } = assignTasks(this.#t.name.toLowerCase(), nodes, this.#t.ntasks);
    this.#nodes = nodes;
    this.#me = nodes.indexOf(this.#co.node);
    const mine = new Uint8Array(this.#me < 0 ? 0 : owner.length);
    for (let task = 0, k = 0; task < mine.length; task++) {
      if (owner[task] === this.#me && k++ % this.#workers === this.#worker) mine[task] = 1;
    }
    this.#mine = mine;
  }

  fields(n: number): SliceFields { return clusterFields(this.#t, n); }

  view(_n: number): ClusterTickView {
    // This cycle's table, even if an async route reads ownTasks after the next cycle began.
    const mine = this.#mine;
    return { cluster: { node: this.#co.node, role: 'member', term: 0 }, owns: (task) => mine[task] === 1 };
  }

  /** The nodes the current cycle's tasks are spread over. */
  get nodes(): readonly string[] { return this.#nodes; }

  counts(): ClusterCounts { return { standby: this.standby, fenced: this.fenced, rebalanced: this.rebalanced }; }

  stats(): ClusterTimerStats {
    return { cluster: 'slices', node: this.#co.node, role: 'member', leader: null, term: 0,
      standby: this.standby, fenced: this.fenced, rebalanced: this.rebalanced, claims: 0, members: this.#co.members().size };
  }
}
