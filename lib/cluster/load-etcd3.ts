import { createRequire } from 'node:module';
import { RTimerError } from '../errors.js';

/** The part of the etcd3 module (Microsoft's, v1) node-rtimer uses. */
export type Etcd3Module = typeof import('etcd3');

type Require = (id: string) => unknown;

const defaultRequire: Require = createRequire(import.meta.url);

/**
 * Loads etcd3, an optional peer dependency, on first use only (as prom-client is): users without
 * cluster timers need not install it. `req` is a seam for tests.
 */
export function loadEtcd3(req: Require = defaultRequire): Etcd3Module {
  let mod: unknown;
  try {
    mod = req('etcd3');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e?.code === 'MODULE_NOT_FOUND' && /['"]etcd3['"]/.test(String(e.message).split('\n')[0]);
    throw new RTimerError(missing ? 'ERR_RTIMER_NO_ETCD3' : 'ERR_RTIMER_ETCD3_FAILED', missing
      ? 'cluster timers need the optional peer dependency etcd3 (v1): npm install etcd3'
      : `etcd3 could not be loaded: ${e?.message ?? String(err)}`, { cause: err });
  }
  const m = mod as Partial<Etcd3Module>;
  if (typeof m?.Etcd3 !== 'function') {
    throw new RTimerError('ERR_RTIMER_ETCD3_FAILED', 'the installed etcd3 has no Etcd3 class; node-rtimer needs etcd3 v1');
  }
  return m as Etcd3Module;
}
