import type { RouteHook } from '../config/types.js';
import type { SliceFields } from '../schedule/slices.js';
import { fakedMessage, nextFakedId, type FakedMessage } from './fmsg.js';
import type { RouteContext } from './routes.js';
import { busySpend, type SpendDuration } from './spend.js';

/** What a cluster timer adds to a tick's context (lib/cluster). */
export interface ClusterTickView {
  readonly cluster: { readonly node: string; readonly role: 'leader' | 'member'; readonly term: number };
  /** `slices` timers: whether this node owns a task; absent: every task of the range is ours. */
  readonly owns?: (task: number) => boolean;
}

/**
 * The `ctx` a route gets. One object per route call: the faked message takes its id when the call
 * begins (so ids grow by one per route execution, in the order routes run, even when a batch built
 * its contexts ahead) but is built on first access only, as most routes never read it. `msg` is
 * therefore an accessor on the prototype: `{ ...ctx }` does not copy it.
 */
export class RouteCall implements RouteContext {
  #msgId: number;
  #msg: FakedMessage | undefined = undefined;
  readonly #spend: (d: SpendDuration) => void;
  slice: number;
  nslices: number;
  ntasks: number;
  readonly tasks: number;
  readonly taskRange: readonly [number, number];
  readonly cluster: ClusterTickView['cluster'] | undefined;
  readonly #owns: ((task: number) => boolean) | undefined;
  #ownTasks: number[] | undefined = undefined;

  constructor(
    readonly timer: string,
    readonly route: string,
    readonly worker: number,
    readonly tick: number,
    readonly scheduled: bigint,
    /** Set by the engine right before the route is called (precision mode builds the call first). */
    public started: bigint,
    readonly on: RouteHook,
    readonly state: Record<string, unknown>,
    fields: SliceFields,
    /** Built ahead of the call (precision mode, a batch's first pass): begin() starts it. */
    prepared = false,
    /** What spend() does: busy-waits, or moves a virtual clock on. */
    spend: (d: SpendDuration) => void = busySpend,
    view?: ClusterTickView,
  ) {
    this.#spend = spend;
    this.cluster = view?.cluster;
    this.#owns = view?.owns;
    this.#msgId = prepared ? 0 : nextFakedId();
    this.slice = fields.slice;
    this.nslices = fields.nslices;
    this.ntasks = fields.ntasks;
    this.tasks = fields.tasks;
    this.taskRange = fields.taskRange;
  }

  /** A prepared call begins: its message takes its id (`started` is set by the caller, last). */
  begin(): void {
    this.#msgId = nextFakedId();
  }

  spend(d: SpendDuration): void { this.#spend(d); }

  get ownTasks(): readonly number[] {
    if (this.#ownTasks === undefined) {
      const [a, b] = this.taskRange;
      const own: number[] = [];
      for (let t = a; t < b; t++) if (this.#owns === undefined || this.#owns(t)) own.push(t);
      this.#ownTasks = own;
    }
    return this.#ownTasks;
  }

  owns(task: number): boolean {
    return task >= this.taskRange[0] && task < this.taskRange[1] && (this.#owns === undefined || this.#owns(task));
  }

  get msg(): FakedMessage {
    return (this.#msg ??= fakedMessage(this.#msgId));
  }
}
