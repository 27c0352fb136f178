import { createRequire } from 'node:module';
import { RTimerError } from '../errors.js';
import { requireOptionalPeer, type Require } from '../optional-peer.js';

/**
 * The part of a prom-client (v15) Registry node-rtimer uses. Structural, so the public types do not
 * depend on prom-client being installed, and a registry from the user's own copy of prom-client fits.
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** What node-rtimer takes from the prom-client module. */
export interface PromClient {
  Registry: new () => MetricsRegistry;
  register: MetricsRegistry;
}

const defaultRequire: Require = createRequire(import.meta.url);

/**
 * Loads prom-client, an optional peer dependency, on first use only: users who never ask for
 * metrics need not install it. `req` resolves the module (a seam for tests; defaults to resolving
 * from this package, as a peer dependency is installed).
 */
export function loadPromClient(req: Require = defaultRequire): PromClient {
  const mod = requireOptionalPeer(req, 'prom-client', 'ERR_RTIMER_NO_PROM_CLIENT', 'ERR_RTIMER_PROM_CLIENT_FAILED',
    'Prometheus metrics need the optional peer dependency prom-client (v15): npm install prom-client');
  const client = mod as Partial<PromClient>;
  if (typeof client?.Registry !== 'function' || typeof client.register?.registerMetric !== 'function') {
    throw new RTimerError('ERR_RTIMER_PROM_CLIENT_FAILED', 'the installed prom-client has no Registry/register; node-rtimer needs prom-client v15');
  }
  return client as PromClient;
}

/** Checks a registry given by the user quacks like prom-client's. */
export function assertRegistry(registry: unknown): asserts registry is MetricsRegistry {
  const r = registry as Partial<MetricsRegistry> | null;
  if (r === null || typeof r !== 'object' || typeof r.registerMetric !== 'function' || typeof r.removeSingleMetric !== 'function'
    || typeof r.getSingleMetric !== 'function' || typeof r.metrics !== 'function') {
    throw new RTimerError('ERR_RTIMER_BAD_REGISTRY', 'registry must be a prom-client Registry (new Registry() or register)');
  }
}

/**
 * The registry an options object names: `registry`, or `register` (prom-client's own name for its
 * default registry, which users write out of habit). Both, if different, is an error.
 */
export function givenRegistry(options: { registry?: MetricsRegistry; register?: MetricsRegistry }): MetricsRegistry | undefined {
  const { registry, register } = options;
  if (registry !== undefined && register !== undefined && registry !== register) {
    throw new RTimerError('ERR_RTIMER_BAD_REGISTRY', 'give the registry once: `registry` and its alias `register` name different registries');
  }
  return registry ?? register;
}
