import { RTimerError } from '../errors.js';

/** How a timer runs in a cluster: on one node, its tasks spread over the live nodes, or everywhere. */
export type ClusterRole = 'once' | 'slices' | 'all';

/** RTimer's `cluster` option: the etcd cluster and this node's name in it. */
export interface ClusterOptions {
  etcd: {
    /** etcd client URLs, e.g. `['http://10.0.0.1:2379', 'http://10.0.0.2:2379']`. */
    hosts: string[];
  };
  /** This node's name; two live processes with one name are refused. Letters, digits, `_.-`, 1..64. */
  node: string;
  /** Lease time to live in ms (default 3000, at least 1000): how long a dead node holds its timers. */
  ttlMs?: number;
  /** Key prefix in etcd (default `/rtimer`); nodes that share timers share the prefix. */
  prefix?: string;
  /** How long start() tries to reach etcd before it rejects with ERR_RTIMER_CLUSTER_UNREACHABLE (default 5000 ms). */
  connectTimeoutMs?: number;
}

/** Options checked, defaults filled in. */
export interface ClusterSettings {
  hosts: string[];
  node: string;
  ttlMs: number;
  prefix: string;
  connectTimeoutMs: number;
}

const NODE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const KEYS = ['etcd', 'node', 'ttlMs', 'prefix', 'connectTimeoutMs'];
export const MIN_TTL_MS = 1000;
export const MAX_TTL_MS = 600_000;

/** Checks RTimer's `cluster` option; every error names the offending value. */
export function clusterSettings(value: unknown): ClusterSettings {
  const bad = (what: string): never => { throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `cluster: ${what}`); };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('expected { etcd: { hosts }, node, ttlMs?, prefix? }');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) bad(`unknown option ${JSON.stringify(k)} (known: ${KEYS.join(', ')})`);
  const etcd = o.etcd as { hosts?: unknown } | undefined;
  if (etcd === null || typeof etcd !== 'object' || !Array.isArray(etcd.hosts) || etcd.hosts.length === 0 || etcd.hosts.length > 64) {
    bad('etcd.hosts must be a non-empty array of etcd URLs (at most 64)');
  }
  const hosts = (etcd!.hosts as unknown[]).map((h) => {
    if (typeof h !== 'string' || !/^https?:\/\/[^\s/]{1,255}\/?$/.test(h)) bad(`invalid etcd host ${JSON.stringify(h)}: expected http://host:port`);
    return (h as string).replace(/\/$/, '');
  });
  if (typeof o.node !== 'string' || !NODE_RE.test(o.node)) {
    bad(`invalid node ${JSON.stringify(o.node)}: 1 to 64 letters, digits, "_", "." or "-"`);
  }
  const ms = (k: string, dflt: number, min: number, max: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`${k} must be a whole number of ms from ${min} to ${max}, got ${String(v)}`);
    return v as number;
  };
  const prefix = o.prefix ?? '/rtimer';
  if (typeof prefix !== 'string' || !/^\/[\x21-\x7e]{0,200}$/.test(prefix)) bad(`invalid prefix ${JSON.stringify(prefix)}: "/" then up to 200 printable ASCII characters`);
  return {
    hosts, node: o.node as string, ttlMs: ms('ttlMs', 3000, MIN_TTL_MS, MAX_TTL_MS), prefix: (prefix as string).replace(/\/+$/, ''),
    connectTimeoutMs: ms('connectTimeoutMs', 5000, 100, 600_000),
  };
}
