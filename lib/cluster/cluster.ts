import type { TimerConfig } from '../config/types.js';
import type { ClusterMembersEvent } from '../events.js';
import { RTimerConfigError, RTimerError } from '../errors.js';
import type { TickGate } from '../schedule/runtime.js';
import type { Coordinator, Member } from './coordinator.js';
import { EtcdCoordinator } from './etcd.js';
import { WorkerFeed } from './feed.js';
import { Grid } from './grid.js';
import type { ClusterCounts } from './grant.js';
import { OnceGate, type ClusterEmit, type ClusterTimerStats } from './once-gate.js';
import type { ClusterSettings } from './options.js';
import { SlicesGate } from './slices-gate.js';


/**
 * The cluster side of one RTimer: one coordinator (session, members), a gate per cluster timer.
 * RTimer only asks it for a timer's gate and grid anchor, and closes it first thing in stop().
 */
export class Cluster {
  readonly #settings: ClusterSettings;
  readonly #co: Coordinator;
  readonly #emit: ClusterEmit;
  readonly #gates = new Map<string, OnceGate | SlicesGate>();
  readonly #feeds = new Map<string, WorkerFeed>();
  #closing: Promise<void> | null = null;

  constructor(settings: ClusterSettings, emit: ClusterEmit, onError: (err: RTimerError) => void, co?: Coordinator) {
    this.#settings = settings;
    this.#emit = emit;
    this.#co = co ?? new EtcdCoordinator(settings, onError);
  }

  /**
   * The cluster of an RTimer about to start, or null when none of its timers is a cluster timer.
   * A cluster timer without RTimer's `cluster` option is a configuration error naming it.
   */
  static for(settings: ClusterSettings | undefined, timers: readonly TimerConfig[], emit: ClusterEmit, onError: (err: RTimerError) => void): Cluster | null {
    const clustered = timers.filter((t) => t.cluster !== undefined);
    if (clustered.length === 0) return null;
    if (settings === undefined) {
      const t = clustered[0];
      throw new RTimerConfigError('ERR_RTIMER_CLUSTER_NOT_CONFIGURED',
        `timer "${t.name}" has cluster=${t.cluster}, but this RTimer has no cluster option ({ etcd: { hosts }, node }) ` +
        '(CLI: --cluster URL --node NAME)', { ...t.source, text: t.name });
    }
    return new Cluster(settings, emit, onError);
  }

  get node(): string { return this.#settings.node; }

  async start(): Promise<void> {
    await this.#co.start();
    const announce = (members: ReadonlyMap<string, Member>) =>
      this.#emit('cluster-members', { node: this.#co.node, members: [...members.keys()].sort() } satisfies ClusterMembersEvent);
    this.#co.onMembers(announce);
    announce(this.#co.members());
  }

  /** The gate and grid of a cluster timer; `now` and `realtimeOffset` read once for all timers. */
  gate(t: TimerConfig, now: bigint, realtimeOffset: bigint): { gate: TickGate; anchor: bigint } {
    if (this.#closing) throw new RTimerError('ERR_RTIMER_STOPPED', 'the cluster was closed');
    const grid = Grid.at(t.intervalUs, now, realtimeOffset);
    const gate = t.cluster === 'once' ? new OnceGate(t, grid, this.#co, this.#emit) : new SlicesGate(t, grid, this.#co);
    this.#gates.set(t.name, gate);
    if (gate instanceof OnceGate) gate.start();
    return { gate, anchor: grid.anchor };
  }

  /**
   * A mode=N cluster timer: the parent campaigns (`once`) and watches the members, and feeds its
   * workers grants (feed.ts); they are armed on the grid's anchor.
   */
  dedicated(t: TimerConfig, now: bigint, realtimeOffset: bigint): WorkerFeed {
    if (this.#closing) throw new RTimerError('ERR_RTIMER_STOPPED', 'the cluster was closed');
    const grid = Grid.at(t.intervalUs, now, realtimeOffset);
    const gate = t.cluster === 'once' ? new OnceGate(t, grid, this.#co, this.#emit) : null;
    const feed = new WorkerFeed(t, grid, this.#co, gate);
    this.#feeds.set(t.name, feed);
    if (gate) { this.#gates.set(t.name, gate); gate.start(); }
    return feed;
  }

  /** A cluster timer's figures; for a mode=N timer, with its workers' counts (`workers`). */
  stats(name: string, workers?: (ClusterCounts | undefined)[]): ClusterTimerStats | undefined {
    const feed = this.#feeds.get(name);
    return feed ? feed.stats(workers ?? []) : this.#gates.get(name)?.stats();
  }

  /** The live members as last seen. */
  members(): string[] { return [...this.#co.members().keys()].sort(); }

  /** Resigns every `once` election at once (no tick runs here after this call), then leaves etcd. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#gates.values()].map((g) => (g instanceof OnceGate ? g.close() : undefined)));
      for (const f of this.#feeds.values()) f.close();
      await this.#co.close();
    })();
    return this.#closing;
  }
}
