import dns from 'node:dns';
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { RTimer } from '../rtimer.js';
import { RTimerError } from '../errors.js';
import { hasCollector, rtimerCollector, type RTimerCollector } from './collector.js';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, isLoopback } from './address.js';
import { assertRegistry, givenRegistry, loadPromClient, type MetricsRegistry } from './prom-client.js';

export interface ServeMetricsOptions {
  /** Default 127.0.0.1. Anything but a loopback address needs `public: true`. */
  host?: string;
  /** Default 9464 (as OpenTelemetry's Prometheus exporter); 0 picks a free one. */
  port?: number;
  /** Allows a host other machines can reach (the CLI's --metrics-public). Default false. */
  public?: boolean;
  /** The registry to serve; a new one if omitted. The RTimer's metrics are added unless it already has them. */
  registry?: MetricsRegistry;
  /** Alias of `registry`. */
  register?: MetricsRegistry;
  /** Metric name prefix, as in rtimerCollector(). Default 'rtimer_'. */
  prefix?: string;
  /** @internal How a host name is resolved (tests); default dns.promises.lookup. */
  lookup?: (host: string) => Promise<{ address: string }>;
}

export interface MetricsServer {
  server: Server;
  address: AddressInfo;
  /** `http://host:port/metrics`. */
  url: string;
  /** Closes the server (and its keep-alive connections) and removes the metrics it registered. */
  close(): Promise<void>;
}

/** Serves the RTimer's Prometheus metrics on GET /metrics over HTTP; resolves once listening. */
export async function serveMetrics(rt: RTimer, options: ServeMetricsOptions = {}): Promise<MetricsServer> {
  if (options === null || typeof options !== 'object') throw new RTimerError('ERR_RTIMER_BAD_METRICS_ADDRESS', 'serveMetrics() options must be an object');
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const port = options.port ?? DEFAULT_METRICS_PORT;
  if (typeof host !== 'string' || host === '') throw new RTimerError('ERR_RTIMER_BAD_METRICS_ADDRESS', `metrics host "${String(host)}" is not a host name or address`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RTimerError('ERR_RTIMER_BAD_METRICS_ADDRESS', `metrics port "${String(port)}" is not a number from 0 to 65535`);
  }
  const open = options.public === true;
  const notLoopback = (what: string) => new RTimerError('ERR_RTIMER_METRICS_NOT_LOOPBACK',
    `metrics address ${what} is not a loopback address, so other machines could read /metrics; ` +
    'pass --metrics-public (public: true) to serve it there anyway');
  // A name is only as loopback as what it resolves to (metrics.localhost can resolve anywhere): a
  // localhost name is resolved here and the address it gives is bound; any other name needs public.
  let bindHost = host;
  if (!open && !isLoopback(host)) throw notLoopback(`"${host}"`);
  if (!open && isIP(host) === 0) {
    const lookup = options.lookup ?? ((h: string) => dns.promises.lookup(h));
    try {
      bindHost = (await lookup(host)).address;
    } catch (err) {
      throw new RTimerError('ERR_RTIMER_METRICS_LISTEN', `cannot resolve metrics host "${host}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    if (!isLoopback(bindHost) || isIP(bindHost) === 0) throw notLoopback(`"${host}" (resolved to ${bindHost})`);
  }
  const registry = givenRegistry(options) ?? new (loadPromClient().Registry)();
  assertRegistry(registry);
  const prefix = options.prefix ?? 'rtimer_';
  const collector: RTimerCollector | null = hasCollector(registry, rt, prefix) ? null : rtimerCollector(rt, { registry, prefix });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    registry.metrics().then((body) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`Collecting metrics failed: ${(err as Error)?.message ?? String(err)}\n`);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindHost, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    collector?.unregister();
    const e = err as NodeJS.ErrnoException;
    throw new RTimerError('ERR_RTIMER_METRICS_LISTEN', `cannot serve metrics on ${formatHostPort(host, port)}: ${e.code ?? e.message}`, { cause: err });
  }
  const address = server.address() as AddressInfo;
  // What was bound is what other machines could reach: checked too, whatever the name said.
  if (!open && !isLoopback(address.address)) {
    collector?.unregister();
    await new Promise((r) => server.close(r));
    throw notLoopback(`"${host}" (bound to ${address.address})`);
  }
  let closing: Promise<void> | null = null;
  return {
    server,
    address,
    url: `http://${formatHostPort(address.address, address.port)}/metrics`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        collector?.unregister();
        server.close(() => resolve());
        server.closeAllConnections(); // Prometheus keeps its scrape connection open
      });
      return closing;
    },
  };
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
