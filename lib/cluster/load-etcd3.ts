import { createRequire } from 'node:module';
import { RTimerError } from '../errors.js';
import { requireOptionalPeer, type Require } from '../optional-peer.js';

/** The part of the etcd3 module (Microsoft's, v1) node-rtimer uses. */
export type Etcd3Module = typeof import('etcd3');


const defaultRequire: Require = createRequire(import.meta.url);

/**
 * Loads etcd3, an optional peer dependency, on first use only (as prom-client is): users without
 * cluster timers need not install it. `req` is a seam for tests.
 */
export function loadEtcd3(req: Require = defaultRequire): Etcd3Module {
  const mod = requireOptionalPeer(req, 'etcd3', 'ERR_RTIMER_NO_ETCD3', 'ERR_RTIMER_ETCD3_FAILED',
    'cluster timers need the optional peer dependency etcd3 (v1): npm install etcd3');
  const m = mod as Partial<Etcd3Module>;
  if (typeof m?.Etcd3 !== 'function') {
    throw new RTimerError('ERR_RTIMER_ETCD3_FAILED', 'the installed etcd3 has no Etcd3 class; node-rtimer needs etcd3 v1');
  }
  return m as Etcd3Module;
}
