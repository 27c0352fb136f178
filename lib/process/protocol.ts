import type { NativeTimerStats } from '../native/binding.js';
import type { TimerConfig } from '../config/types.js';
import type { LoopState, StateCause } from '../schedule/lifecycle.js';
import type { TimerCounters } from '../schedule/runtime.js';
import { BUCKETS } from '../stats/histogram.js';
import { parseCounts, parseGrant, parseWorkerCluster, type ClusterCounts, type ClusterGrant, type WorkerClusterInfo } from '../cluster/grant.js';

/**
 * Every message of ours carries this tag; the version lets a mismatched worker build fail plainly
 * rather than misread. A route can send the tag too (process.send), so a worker's messages also
 * carry the random token its parent gave it in 'start', which no route sees.
 */
export const TAG = 1;

/** Parent → worker. Sent over the IPC channel with 'advanced' serialization (BigInt, typed arrays). */
export type ToWorker = { rtimer: typeof TAG } & (
  /** `paused`: a restart of a paused timer's worker, which starts paused: no route, start included, until resumed. */
  | { type: 'start'; token: string; routes: string; timer: TimerConfig; worker: number; workers: number; statsIntervalMs: number; paused?: boolean;
    /** A cluster timer's: the node and the grid's number of the arm anchor. */
    cluster?: WorkerClusterInfo }
  /** A cluster timer's latest grant from the parent (lib/cluster/grant.ts): what the worker may run, until when. */
  | { type: 'cluster'; grant: ClusterGrant }
  /** Sent once every worker is loaded, so they all count from the same anchor. */
  | { type: 'arm'; anchorNs: bigint }
  | { type: 'stop' }
  /** A control verb for this worker's loop; answered by 'control-done' with the same id. */
  | { type: 'control'; id: number; verb: ControlVerb });

/** What the parent asks of a worker's loop: rt.pause/resume and the trigger verbs. */
export type ControlVerb = 'pause' | 'resume' | 'start' | 'loop' | 'end' | 'tick';
export const CONTROL_VERBS: readonly ControlVerb[] = ['pause', 'resume', 'start', 'loop', 'end', 'tick'];
const LOOP_STATES: readonly LoopState[] = ['running', 'paused', 'ended'];
const CAUSES: readonly StateCause[] = ['pause', 'resume', 'start', 'loop', 'end', 'return', 'error', 'stop'];

/** A histogram snapshot (count, min, max, sum, sumSq, exceeds, buckets) as the buckets that changed since the last one sent. */
export interface SnapshotDelta { head: Float64Array; index: Uint32Array; value: Float64Array }

export type HistogramName = 'wake' | 'callback' | 'hop' | 'duration';
export const HISTOGRAMS: readonly HistogramName[] = ['wake', 'callback', 'hop', 'duration'];

/** What a worker sends each stats interval: counters always, histograms only when they changed. */
export interface ReportMessage {
  pid: number;
  counters: TimerCounters;
  native: Omit<NativeTimerStats, 'wake' | 'callback' | 'hop'>;
  hist: Partial<Record<HistogramName, SnapshotDelta>>;
  /** A cluster timer's refusals (standby, fenced, rebalanced). */
  cluster?: ClusterCounts;
}

/** The parent's copy of a worker's figures, rebuilt from its reports. */
export interface WorkerReport {
  pid: number;
  counters: TimerCounters;
  native: NativeTimerStats;
  /** Route duration histogram snapshot (the native snapshot layout). */
  duration: Float64Array;
  cluster?: ClusterCounts;
}

/** Worker → parent. */
export type FromWorker = { rtimer: typeof TAG; token: string } & (
  | { type: 'loaded'; pid: number }
  /** `armedAtNs`: the monotonic time it armed, so the parent can tell which deadlines passed before it died. */
  | { type: 'armed'; pid: number; armedAtNs: bigint }
  | { type: 'failed'; code: string; message: string }
  | { type: 'route-error'; route: string; message: string; stack?: string }
  | { type: 'stats'; report: ReportMessage }
  /** The worker's loop changed state. */
  | { type: 'state'; from: LoopState; to: LoopState; by: StateCause }
  /** A control verb was applied (its routes, if any, have returned); `state` is the loop's now. */
  | { type: 'control-done'; id: number; state: LoopState }
  | { type: 'stopped'; report: ReportMessage });

const SNAPSHOT = 6 + BUCKETS;

/** The buckets of `cur` that differ from `prev`; null when its count did not change (nothing to send). */
export function diffSnapshot(prev: Float64Array | null, cur: Float64Array): SnapshotDelta | null {
  if (prev && prev[0] === cur[0] && prev[5] === cur[5]) return null;
  const index: number[] = [];
  for (let i = 6; i < cur.length; i++) if (cur[i] !== (prev ? prev[i] : 0)) index.push(i - 6);
  return { head: cur.slice(0, 6), index: Uint32Array.from(index), value: Float64Array.from(index, (i) => cur[i + 6]) };
}

/** `base` (or an empty snapshot) with the delta applied; a new array. */
export function applySnapshot(base: Float64Array | null, d: SnapshotDelta): Float64Array {
  const out = base ? base.slice() : new Float64Array(SNAPSHOT);
  out.set(d.head, 0);
  for (let i = 0; i < d.index.length; i++) out[d.index[i] + 6] = d.value[i];
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const count = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const str = (v: unknown) => typeof v === 'string';
const strings = (v: unknown) => Array.isArray(v) && v.every(str);
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

function validDelta(d: unknown): boolean {
  if (!isObj(d) || !(d.head instanceof Float64Array) || !(d.index instanceof Uint32Array) || !(d.value instanceof Float64Array)) return false;
  if (d.head.length !== 6 || !d.head.every(Number.isFinite) || d.index.length !== d.value.length) return false;
  return d.index.every((i) => i < BUCKETS) && d.value.every((v) => Number.isFinite(v) && v >= 0);
}

function validReport(r: unknown): r is ReportMessage {
  if (!isObj(r) || !count(r.pid) || !isObj(r.counters) || !isObj(r.native) || !isObj(r.hist)) return false;
  const c = r.counters;
  if (![c.ticks, c.idle, c.executions, c.missed, c.paused, c.errors, c.routeCalls, c.triggered].every(count)) return false;
  const n = r.native;
  if (![n.ticks, n.executions, n.missed, n.dispatchErrors].every(count) || ![n.leadNs, n.spinNs, n.elapsedNs].every(finite)) return false;
  if (!strings(n.applied) || !strings(n.refused) || (n.thread !== 'own' && n.thread !== 'shared')) return false;
  if (r.cluster !== undefined && !parseCounts(r.cluster)) return false;
  return Object.entries(r.hist).every(([k, d]) => (HISTOGRAMS as string[]).includes(k) && validDelta(d));
}

/** The message as one of ours, or null: untagged, unknown, malformed or without `token` they are not ours. */
export function parseFromWorker(m: unknown, token: string): FromWorker | null {
  if (!isObj(m) || m.rtimer !== TAG || typeof m.token !== 'string' || m.token !== token) return null;
  switch (m.type) {
    case 'loaded': return count(m.pid) ? m as FromWorker : null;
    case 'armed': return count(m.pid) && typeof m.armedAtNs === 'bigint' ? m as FromWorker : null;
    case 'failed': return str(m.code) && str(m.message) ? m as FromWorker : null;
    case 'route-error': return str(m.route) && str(m.message) && (m.stack === undefined || str(m.stack)) ? m as FromWorker : null;
    case 'stats':
    case 'stopped': return validReport(m.report) ? m as FromWorker : null;
    case 'state': return oneOf(LOOP_STATES, m.from) && oneOf(LOOP_STATES, m.to) && oneOf(CAUSES, m.by) ? m as FromWorker : null;
    case 'control-done': return count(m.id) && oneOf(LOOP_STATES, m.state) ? m as FromWorker : null;
    default: return null;
  }
}

/** The parent's messages, checked as strictly in the worker (a route may emit 'message' too). */
export function parseToWorker(m: unknown): ToWorker | null {
  if (!isObj(m) || m.rtimer !== TAG) return null;
  if (m.type === 'start') return typeof m.token === 'string' && m.token.length > 0 && str(m.routes) && isObj(m.timer) && count(m.worker) && count(m.workers) && count(m.statsIntervalMs) && (m.paused === undefined || typeof m.paused === 'boolean') && (m.cluster === undefined || parseWorkerCluster(m.cluster) !== null) ? m as ToWorker : null;
  if (m.type === 'cluster') return parseGrant(m.grant) ? m as ToWorker : null;
  if (m.type === 'arm') return typeof m.anchorNs === 'bigint' ? m as ToWorker : null;
  if (m.type === 'stop') return m as ToWorker;
  if (m.type === 'control') return count(m.id) && oneOf(CONTROL_VERBS, m.verb) ? m as ToWorker : null;
  return null;
}
