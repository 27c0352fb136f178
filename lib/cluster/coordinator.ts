/**
 * The seam between cluster timers and a coordination store (client-go's resourcelock.Interface, in
 * spirit): a session kept alive with a lease, one election per `once` timer with a fencing claim per
 * tick batch, and the live member set. etcd is the one implementation (etcd.ts).
 */

/** A live node, as registered under the prefix. */
export interface Member {
  node: string;
  /** Random per start(): a node restarted within the ttl is not its own duplicate. */
  instance: string;
  /** Wall-clock ms from which the node takes tasks of `slices` timers (announced ahead, so all agree). */
  since: number;
}

/** What a claim of ticks [first, last] found. */
export type ClaimResult =
  | { ok: true }
  /** Our election key is gone or was re-created: we are not the leader of that term any more. */
  | { ok: false; lost: true }
  /** A leader before us claimed up to `through`: ours starts after it. */
  | { ok: false; lost: false; through: number };

export interface CandidacyEvents {
  /** Our key is first in create-revision order: `term` is its create revision. */
  leading(term: number): void;
  /** Someone else leads (null: nobody is known to). */
  following(leader: string | null): void;
}

/** Our candidacy in one timer's election. */
export interface Candidacy {
  /** Claims ticks [first, last] for `term` (one compare-and-swap); rejects on a timeout or error. */
  claim(term: number, first: number, last: number): Promise<ClaimResult>;
  /** Leaves the election at once (deletes our key): the next candidate leads. */
  resign(): Promise<void>;
}

export interface Coordinator {
  readonly node: string;
  readonly instance: string;
  /** Connects, takes a lease and registers this node; rejects when the store is unreachable or the name is taken. */
  start(): Promise<void>;
  /**
   * Monotonic ns until which this node may act on what it holds: the send time of the last
   * keep-alive the store acknowledged, plus the ttl, less a guard (client-go's renew deadline).
   */
  renewDeadline(): bigint;
  /** Called whenever the renew deadline changes (an acknowledged keep-alive, a lost or new lease). */
  onRenew(fn: () => void): void;
  /** Joins the election named `key` (already escaped). */
  campaign(key: string, events: CandidacyEvents): Candidacy;
  /** The live members as last seen. */
  members(): ReadonlyMap<string, Member>;
  /** Called with the member set whenever it changes. */
  onMembers(fn: (members: ReadonlyMap<string, Member>) => void): void;
  /** Resigns every election, revokes the lease, disconnects. Idempotent. */
  close(): Promise<void>;
}

/** etcd keys from a timer name: names compare case-insensitively and are escaped (a `/` stays in its segment). */
export function keySegment(name: string): string {
  return encodeURIComponent(name.toLowerCase());
}
