import { randomUUID } from 'node:crypto';
import type { Etcd3, IKeyValue, Lease, Watcher } from 'etcd3';
import { describeThrown, RTimerError } from '../errors.js';
import { keySegment, type Candidacy, type CandidacyEvents, type ClaimResult, type Coordinator, type Member } from './coordinator.js';
import { loadEtcd3 } from './load-etcd3.js';
import type { ClusterSettings } from './options.js';

const hrtime = process.hrtime.bigint;
const MS = 1_000_000n;
/**
 * What RTimer's 'error' event gets from the cluster (its listeners take RTimerErrors): an RTimerError
 * as it is, anything else (an etcd3 failure, a bug of ours) as ERR_RTIMER_CLUSTER_FAILED with the cause.
 */
export function clusterError(err: unknown): RTimerError {
  return err instanceof RTimerError ? err : new RTimerError('ERR_RTIMER_CLUSTER_FAILED', `cluster: ${describeThrown(err)}`, { cause: err });
}

/** Tick numbers are stored zero-padded so etcd's byte-wise value comparison orders them as numbers. */
const pad = (n: number) => String(n).padStart(20, '0');
const bytes = (s: string) => Buffer.from(s);
/** The end of the range of keys starting with `p` (ASCII keys: the last byte is below 0xff). */
function prefixEnd(p: string): Buffer {
  const b = Buffer.from(p);
  b[b.length - 1]++;
  return b;
}

/** Rejects with ERR_RTIMER_CLUSTER_TIMEOUT past `ms`: every etcd call has a deadline (a stopped member holds calls for seconds). */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RTimerError('ERR_RTIMER_CLUSTER_TIMEOUT', `etcd: ${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const delay = (ms: number) => new Promise<void>((r) => { setTimeout(r, ms).unref(); });

/**
 * The etcd coordinator: one lease per node (etcd's concurrency.Session), kept alive by hand so the
 * renew deadline is taken from keep-alive *send* times; one election per `once` timer (etcd's
 * concurrency.Election: a key per candidate under the election's prefix, attached to the lease; the
 * lowest create revision leads, and that revision is the leader's term); members under
 * `<prefix>/members/`, watched.
 */
export class EtcdCoordinator implements Coordinator {
  readonly instance = randomUUID();
  readonly #s: ClusterSettings;
  readonly #onError: (err: RTimerError) => void;
  #client: Etcd3 | null = null;
  #lease: Lease | null = null;
  #leaseHex = '';
  /** Monotonic ns: when the last keep-alive etcd acknowledged was sent (0n: none valid). */
  #ackSent = 0n;
  readonly #ttlNs: bigint;
  readonly #guardNs: bigint;
  /** Deadline of each etcd call, ms. */
  readonly callMs: number;
  #members = new Map<string, Member>();
  readonly #memberFns: ((m: ReadonlyMap<string, Member>) => void)[] = [];
  readonly #renewFns: (() => void)[] = [];
  readonly #candidacies = new Set<EtcdCandidacy>();
  #closed = false;
  #closing: Promise<void> | null = null;
  #keeper: Promise<void> | null = null;
  #watcher: Watcher | null = null;
  /** Bumped with each new lease: candidacies put their key again. */
  session = 0;
  #since = 0;

  constructor(settings: ClusterSettings, onError: (err: RTimerError) => void) {
    this.#s = settings;
    this.#onError = onError;
    this.#ttlNs = BigInt(settings.ttlMs) * MS;
    // The guard covers the time from the check to the route's call and clock-rate differences.
    this.#guardNs = BigInt(Math.max(100, Math.round(settings.ttlMs / 10))) * MS;
    this.callMs = Math.max(250, Math.round(settings.ttlMs / 3));
  }

  get node(): string { return this.#s.node; }
  get leaseHex(): string { return this.#leaseHex; }
  get client(): Etcd3 { return this.#client!; }
  get prefix(): string { return this.#s.prefix; }
  get ttlMs(): number { return this.#s.ttlMs; }

  renewDeadline(): bigint {
    return this.#ackSent === 0n ? 0n : this.#ackSent + this.#ttlNs - this.#guardNs;
  }

  onRenew(fn: () => void): void { this.#renewFns.push(fn); }

  #setAck(sent: bigint): void {
    this.#ackSent = sent;
    for (const fn of this.#renewFns) { try { fn(); } catch (err) { this.#onError(clusterError(err)); } }
  }

  #memberKey(node: string): string { return `${this.#s.prefix}/members/${keySegment(node)}`; }

  async start(): Promise<void> {
    const { Etcd3 } = loadEtcd3();
    const s = this.#s;
    this.#client = new Etcd3({ hosts: s.hosts, dialTimeout: s.connectTimeoutMs,
      // Unary calls get the call deadline; streams (watches, keep-alives) none: a deadline ends a
      // watch stream, and etcd3 then re-creates every watcher on it (with a 667 ms deadline that
      // was ~80 reconnections a minute, and an election re-check after each: ~2x the traffic).
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + this.callMs }),
      // A stream on a silently dead connection (a partition) is noticed by gRPC's pings instead
      // (etcd refuses pings more often than every 5 s).
      grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 } });
    const unreachable = (err: unknown) => new RTimerError('ERR_RTIMER_CLUSTER_UNREACHABLE',
      `cannot reach etcd at ${s.hosts.join(', ')} within ${s.connectTimeoutMs} ms: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    const until = Date.now() + s.connectTimeoutMs;
    // A node joins `slices` timers one ttl from now: every node sees the key by then.
    this.#since = Date.now() + s.ttlMs;
    let lastErr: unknown;
    while (Date.now() < until && !this.#closed) {
      try {
        await this.#grant(until - Date.now());
        break;
      } catch (err) {
        lastErr = err;
        await delay(Math.min(200, Math.max(0, until - Date.now())));
      }
    }
    if (this.#closed) { await this.#shut(); throw new RTimerError('ERR_RTIMER_STOPPED', 'closed while connecting to etcd'); }
    if (this.#ackSent === 0n) { await this.#shut(); throw unreachable(lastErr); }
    // Start-up calls share the connect budget (a loaded etcd may take longer than a per-call deadline).
    const startMs = () => Math.max(this.callMs, until - Date.now());
    try {
      await this.#register(until + s.ttlMs * 2, startMs());
      await this.#watchMembers(startMs());
    } catch (err) {
      await this.#shut();
      if (err instanceof RTimerError && err.code === 'ERR_RTIMER_CLUSTER_DUPLICATE_NODE') throw err;
      throw unreachable(err);
    }
    this.#keeper = this.#keepAlive();
  }

  /** A new lease: its grant counts as the first acknowledged keep-alive. */
  async #grant(ms: number): Promise<void> {
    const sent = hrtime();
    const ttlS = Math.ceil(this.#s.ttlMs / 1000);
    const lease = this.#client!.lease(ttlS, { autoKeepAlive: false, deadline: Date.now() + Math.max(50, ms) });
    lease.on('lost', () => undefined); // we do not rely on it (it fires late): keep-alive results decide
    const id = await withDeadline(lease.grant(), Math.max(50, ms), 'lease grant');
    this.#lease = lease;
    this.#leaseHex = BigInt(id).toString(16);
    this.#setAck(sent);
    this.session++;
  }

  /** Puts our member key; a key under our name with another instance id is a live duplicate unless it expires within the ttl. */
  async #register(until: number, callMs = this.callMs): Promise<void> {
    const key = this.#memberKey(this.#s.node);
    const value = JSON.stringify({ node: this.#s.node, instance: this.instance, since: this.#since } satisfies Member);
    for (;;) {
      const res = await withDeadline(this.#client!.kv.txn({
        compare: [{ key: bytes(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: bytes(key), value: bytes(value), lease: this.#lease ? await this.#lease.grant() : 0 } }],
        failure: [{ request_range: { key: bytes(key) } }],
      }), callMs, 'member registration');
      if (res.succeeded) return;
      const kv = res.responses[0]?.response_range?.kvs?.[0];
      const other = kv ? parseMember(kv) : null;
      if (other?.instance === this.instance) return;
      if (Date.now() > until) {
        throw new RTimerError('ERR_RTIMER_CLUSTER_DUPLICATE_NODE',
          `node name "${this.#s.node}" is held by another live process (instance ${other?.instance ?? '?'}) under ${this.#s.prefix}: ` +
          'give each node its own name');
      }
      await delay(200); // a node restarted within the ttl: its old key expires with its old lease
    }
  }

  async #watchMembers(callMs: number): Promise<void> {
    const p = `${this.#s.prefix}/members/`;
    const load = async () => {
      const res = await withDeadline(this.#client!.kv.range({ key: bytes(p), range_end: prefixEnd(p) }), callMs, 'member list');
      const next = new Map<string, Member>();
      for (const kv of res.kvs) { const m = parseMember(kv); if (m) next.set(m.node, m); }
      this.#setMembers(next);
      return res.header.revision;
    };
    const rev = await load();
    const w = await withDeadline(this.#client!.watch().prefix(p).startRevision(String(BigInt(rev) + 1n)).create(), callMs, 'member watch');
    this.#watcher = w;
    w.on('put', (kv) => { const m = parseMember(kv); if (m) this.#setMembers(new Map(this.#members).set(m.node, m)); });
    w.on('delete', (kv) => {
      const node = decodeURIComponent(kv.key.toString().slice(p.length));
      const next = new Map([...this.#members].filter(([, m]) => keySegment(m.node) !== keySegment(node)));
      this.#setMembers(next);
    });
    // After a reconnection the watch resumes from its revision; reload anyway (a compaction loses events).
    w.on('connected', () => { if (!this.#closed) load().catch(() => undefined); });
    w.on('error', () => undefined);
  }

  #setMembers(next: Map<string, Member>): void {
    const same = next.size === this.#members.size && [...next].every(([k, m]) => this.#members.get(k)?.instance === m.instance);
    this.#members = next;
    if (same) return;
    for (const fn of this.#memberFns) { try { fn(next); } catch (err) { this.#onError(clusterError(err)); } }
  }

  members(): ReadonlyMap<string, Member> { return this.#members; }
  onMembers(fn: (m: ReadonlyMap<string, Member>) => void): void { this.#memberFns.push(fn); }

  /** Keep-alives every ttl/4; a lease etcd no longer knows is replaced (keys put again), other failures retried. */
  async #keepAlive(): Promise<void> {
    const period = Math.max(100, Math.round(this.#s.ttlMs / 4));
    while (!this.#closed) {
      await delay(period);
      if (this.#closed) return;
      const sent = hrtime();
      // A late answer still counts from its send time, so it may take up to half the ttl.
      const ms = Math.max(this.callMs, Math.round(this.#s.ttlMs / 2));
      try {
        const res = await withDeadline(this.#lease!.keepaliveOnce({ deadline: Date.now() + ms }), ms, 'keep-alive');
        if (this.#closed) return;
        if (Number(res.TTL) > 0) this.#setAck(sent);
      } catch (err) {
        if (this.#closed) return;
        // By class: etcd3's errors keep the name 'Error'.
        if (err instanceof loadEtcd3().EtcdLeaseInvalidError) await this.#renewSession();
      }
    }
  }

  /** Our lease expired (etcd said so): a new one, our member key and our candidacies put again. */
  async #renewSession(): Promise<void> {
    this.#setAck(0n);
    this.#lease?.release();
    while (!this.#closed) {
      try {
        await this.#grant(this.callMs);
        await this.#register(Date.now() + this.#s.ttlMs * 2);
        for (const c of this.#candidacies) c.wake();
        return;
      } catch (err) {
        if (err instanceof RTimerError && err.code === 'ERR_RTIMER_CLUSTER_DUPLICATE_NODE') this.#onError(err);
        await delay(200);
      }
    }
  }

  campaign(key: string, events: CandidacyEvents): Candidacy {
    const c = new EtcdCandidacy(this, `${this.#s.prefix}/once/${key}`, events, () => this.#candidacies.delete(c));
    this.#candidacies.add(c);
    c.run();
    return c;
  }

  async leaseId(): Promise<string> { return this.#lease!.grant(); }

  get closed(): boolean { return this.#closed; }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#candidacies].map((c) => c.resign().catch(() => undefined)));
      this.#closed = true;
      try { await withDeadline(this.#lease?.revoke() ?? Promise.resolve(), this.callMs, 'lease revoke'); } catch { /* expires by itself */ }
      await this.#shut();
    })();
    return this.#closing;
  }

  async #shut(): Promise<void> {
    this.#closed = true;
    this.#setAck(0n);
    try { await this.#watcher?.cancel(); } catch { /* closing anyway */ }
    this.#lease?.release();
    this.#client?.close();
  }
}

function parseMember(kv: IKeyValue): Member | null {
  try {
    const m = JSON.parse(kv.value.toString()) as Member;
    return typeof m?.node === 'string' && typeof m.instance === 'string' && typeof m.since === 'number' ? m : null;
  } catch {
    return null;
  }
}

/**
 * One `once` timer's election: our key `<election>/e/<lease id>` is put if absent under our lease;
 * the key with the lowest create revision leads. A watch on the election's keys (and a re-check
 * once a ttl, in case a watch event is lost) tells us when that changes.
 */
class EtcdCandidacy implements Candidacy {
  readonly #co: EtcdCoordinator;
  readonly #base: string;
  readonly #events: CandidacyEvents;
  readonly #done: () => void;
  #myKey = '';
  #term = 0;
  #session = -1;
  #resigned = false;
  #wake: (() => void) | null = null;
  #watcher: Watcher | null = null;

  constructor(co: EtcdCoordinator, base: string, events: CandidacyEvents, done: () => void) {
    this.#co = co;
    this.#base = base;
    this.#events = events;
    this.#done = done;
  }

  get #tickKey(): string { return `${this.#base}/tick`; }

  /** Re-check now (a watch event, a new session). */
  wake(): void { this.#wake?.(); }

  run(): void {
    void this.#loop().catch((err: unknown) => { if (!this.#resigned) throw err; });
  }

  async #loop(): Promise<void> {
    const co = this.#co;
    const p = `${this.#base}/e/`;
    while (!this.#resigned && !co.closed) {
      try {
        if (!this.#watcher) {
          this.#watcher = await withDeadline(co.client.watch().prefix(p).create(), co.callMs, 'election watch');
          this.#watcher.on('put', () => this.wake()).on('delete', () => this.wake()).on('connected', () => this.wake()).on('error', () => undefined);
          if (this.#resigned) { await this.#watcher.cancel(); return; }
        }
        if (this.#session !== co.session) {
          const lease = await co.leaseId();
          const key = `${p}${co.leaseHex}`;
          const value = JSON.stringify({ node: co.node, instance: co.instance });
          const res = await withDeadline(co.client.kv.txn({
            compare: [{ key: bytes(key), target: 'Create', result: 'Equal', create_revision: 0 }],
            success: [{ request_put: { key: bytes(key), value: bytes(value), lease } }],
            failure: [{ request_range: { key: bytes(key) } }],
          }), co.callMs, 'campaign');
          this.#myKey = key;
          this.#term = Number(res.succeeded ? res.header.revision : res.responses[0].response_range.kvs[0]?.create_revision ?? 0);
          this.#session = co.session;
        }
        const first = await withDeadline(co.client.kv.range({
          key: bytes(p), range_end: prefixEnd(p), sort_target: 'Create', sort_order: 'Ascend', limit: 1,
        }), co.callMs, 'election leader');
        if (this.#resigned) return;
        const kv = first.kvs[0];
        if (kv && kv.key.toString() === this.#myKey && Number(kv.create_revision) === this.#term) this.#events.leading(this.#term);
        else {
          if (!kv || kv.key.toString() !== this.#myKey) {
            // Our key is gone (a lease revoked under us): put it again on the next round.
            if (!kv || Number(kv.create_revision) > this.#term) {
              const mine = await withDeadline(co.client.kv.range({ key: bytes(this.#myKey) }), co.callMs, 'campaign check');
              if (mine.kvs.length === 0) this.#session = -1;
            }
          } else this.#session = -1;
          let leader: string | null = null;
          try { leader = kv ? (JSON.parse(kv.value.toString()) as { node: string }).node : null; } catch { /* not ours */ }
          this.#events.following(kv && kv.key.toString() === this.#myKey ? null : leader);
          if (this.#session === -1) continue;
        }
      } catch {
        // A slow or lost member: keep the role we had. Our claims and renew deadline fence the ticks;
        // demoting on every blip would only drop ticks.
        if (this.#resigned || co.closed) return;
        await delay(100);
        continue;
      }
      await new Promise<void>((resolve) => {
        // The watch wakes us; this re-check (once a ttl) only covers a lost watch event.
        const t = setTimeout(resolve, co.ttlMs);
        t.unref();
        this.#wake = () => { clearTimeout(t); this.#wake = null; resolve(); };
      });
    }
  }

  async claim(term: number, first: number, last: number): Promise<ClaimResult> {
    const co = this.#co;
    const tick = bytes(this.#tickKey);
    for (let round = 0; round < 2; round++) {
      const res = await withDeadline(co.client.kv.txn({
        compare: [
          { key: bytes(this.#myKey), target: 'Create', result: 'Equal', create_revision: term },
          { key: tick, target: 'Value', result: 'Less', value: bytes(pad(first)) },
        ],
        success: [{ request_put: { key: tick, value: bytes(pad(last)) } }],
        failure: [{ request_range: { key: tick } }, { request_range: { key: bytes(this.#myKey) } }],
      }), co.callMs, 'tick claim');
      if (res.succeeded) return { ok: true };
      const mine = res.responses[1].response_range.kvs[0];
      if (!mine || Number(mine.create_revision) !== term) return { ok: false, lost: true };
      const stored = res.responses[0].response_range.kvs[0];
      if (stored) return { ok: false, lost: false, through: Number(stored.value.toString()) };
      // No tick key yet (a value compare on a missing key fails): create it, then claim again.
      await withDeadline(co.client.kv.txn({
        compare: [{ key: tick, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: tick, value: bytes(pad(0)) } }],
      }), co.callMs, 'tick key');
    }
    return { ok: false, lost: false, through: first - 1 };
  }

  async resign(): Promise<void> {
    if (this.#resigned) return;
    this.#resigned = true;
    this.wake();
    this.#done();
    const co = this.#co;
    try { await this.#watcher?.cancel(); } catch { /* closing */ }
    if (!this.#myKey || co.closed) return;
    await withDeadline(co.client.kv.txn({
      compare: [{ key: bytes(this.#myKey), target: 'Create', result: 'Equal', create_revision: this.#term }],
      success: [{ request_delete_range: { key: bytes(this.#myKey) } }],
    }), co.callMs, 'resign');
  }
}
