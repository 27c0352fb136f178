import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/interval.js';
import { RTimerError } from '../errors.js';
import { CTL_USAGE } from '../ctl/command.js';
import { parseMetricsAddress, type MetricsAddress } from '../metrics/address.js';
import type { ClusterOptions } from '../cluster/options.js';

// rtimer ctl parses its own command line (lib/ctl/command.ts); its lines are shown here too.
const ctlLines = CTL_USAGE.split('\n').filter((l) => l.startsWith('  rtimer ctl')).join('\n');
const ctlOptions = CTL_USAGE.split('\n').filter((l) => l.startsWith('  options:')).map((l) => l.replace('  options:', '  ctl options:')).join('\n');

export const USAGE = `usage:
  rtimer check <kamailio.cfg> [--routes <module>] [--define NAME[=value]]...
  rtimer run <kamailio.cfg> --routes <module> [--duration <time>] [--quiet] [--define NAME[=value]]...
             [--metrics <addr> [--metrics-public]] [--ctl <socket>]
             [--cluster <url>[,<url>...] --node <name> [--cluster-ttl <time>] [--cluster-prefix </path>]]
${ctlLines}
  rtimer --help | --version

options:
  --routes <module>   the routes module (path or file URL); check verifies every route exists in it
  --define NAME[=value]
                      define NAME before reading the file, as kamailio -A does (repeatable): it picks
                      the #!ifdef branches that are read
  --duration <time>   run: stop after this long (10s, 250ms, 2m, 1h, 1d; a bare number is seconds);
                      default: until SIGINT or SIGTERM
  -q, --quiet         run: print neither the "running" line, the live view nor the summary (errors still go
                      to stderr)
  --metrics <addr>    run: serve Prometheus metrics on http://<addr>/metrics (127.0.0.1:9464, :9464 or 9464
                      for loopback, [::1]:9464); needs the optional package prom-client
  --metrics-public    run: allow a --metrics address other machines can reach (0.0.0.0:9464, a LAN address)
  --ctl <socket>      run: open a JSON-RPC control socket (mode 0600) at this path, for rtimer ctl
  --cluster <urls>    run: the etcd client URLs (comma-separated) for timers declared with cluster=once or
                      cluster=slices; needs --node and the optional package etcd3
  --node <name>       run: this node's name in the cluster (letters, digits, _ . -; unique among live nodes)
  --cluster-ttl <time>
                      run: the lease ttl (default 3s, at least 1s): how long a dead node holds its timers
  --cluster-prefix </path>
                      run: the etcd key prefix shared by the nodes (default /rtimer)
  -h, --help          print this text
  --version           print the version
${ctlOptions}

On a terminal, run redraws one line per timer (executions, missed, lateness p50/p99/max in µs) up to
4 times a second; not when stdout is a pipe or a file, nor with --quiet.

exit status: 0 done; 1 bad configuration, no rtimer or ptimer timer, a timer failed, or metrics could not
be served (a non-loopback --metrics address without --metrics-public, the port in use, prom-client
missing); 2 usage error; 130/143 run stopped by SIGINT/SIGTERM before its timers ran, or a second
signal while it stopped; rtimer ctl: 0 done, 1 the call failed, 2 usage error
`;

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'check'; file: string; routes?: string; defines: string[] }
  | { command: 'run'; file: string; routes: string; durationMs?: number; quiet: boolean; defines: string[];
      metrics?: MetricsAddress & { public: boolean }; ctl?: string; cluster?: ClusterOptions };

/** A command line that does not say what to do; the CLI prints it with the usage and exits 2. */
export class CliUsageError extends RTimerError {
  constructor(message: string) {
    super('ERR_RTIMER_USAGE', message);
    this.name = 'CliUsageError';
  }
}

const OPTIONS = {
  routes: { type: 'string' },
  duration: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  define: { type: 'string', multiple: true },
  metrics: { type: 'string' },
  'metrics-public': { type: 'boolean' },
  ctl: { type: 'string' },
  cluster: { type: 'string' },
  node: { type: 'string' },
  'cluster-ttl': { type: 'string' },
  'cluster-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** The command line, checked strictly: unknown flags, empty or repeated values and extra arguments are usage errors. */
export function parseCli(argv: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name) && t.name !== 'define') throw new CliUsageError(`--${t.name} given twice`);
    seen.add(t.name);
    if (t.value === '') throw new CliUsageError(`--${t.name} needs a value, got an empty one`);
  }
  const defines = values.define ?? [];
  const defined = new Set<string>();
  for (const d of defines) {
    const name = d.split('=', 1)[0];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new CliUsageError(`--define "${d}": expected NAME or NAME=value, NAME made of letters, digits and _`);
    }
    if (defined.has(name)) throw new CliUsageError(`--define ${name} given twice`);
    defined.add(name);
  }
  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new CliUsageError('missing command (check or run)');
  if (command === 'ctl') throw new CliUsageError('ctl comes first: rtimer ctl <socket> <method> [timer] [--json]');
  if (command !== 'check' && command !== 'run') throw new CliUsageError(`unknown command "${command}"`);
  if (file === undefined) throw new CliUsageError(`${command} needs a kamailio.cfg`);
  if (extra.length > 0) throw new CliUsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'check') {
    for (const flag of ['duration', 'quiet', 'metrics', 'metrics-public', 'ctl', 'cluster', 'node', 'cluster-ttl', 'cluster-prefix'] as const) {
      if (values[flag] !== undefined) throw new CliUsageError(`--${flag} is for run, not check`);
    }
    return { command, file, routes: values.routes, defines };
  }
  if (values.routes === undefined) throw new CliUsageError('run needs --routes <module>');
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    try {
      durationMs = parseDurationMs(values.duration);
    } catch (err) {
      throw new CliUsageError(`--duration: ${(err as Error).message}`);
    }
    if (!Number.isFinite(durationMs)) throw new CliUsageError(`--duration: "${values.duration}" is too long`);
  }
  let metrics: (MetricsAddress & { public: boolean }) | undefined;
  if (values.metrics !== undefined) {
    try {
      metrics = { ...parseMetricsAddress(values.metrics), public: values['metrics-public'] ?? false };
    } catch (err) {
      throw new CliUsageError(`--metrics: ${(err as Error).message}`);
    }
  } else if (values['metrics-public']) {
    throw new CliUsageError('--metrics-public goes with --metrics <addr>');
  }
  const cluster = clusterFlags(values);
  return { command, file, routes: values.routes, durationMs, quiet: values.quiet ?? false, defines, ...(metrics ? { metrics } : {}),
    ...(values.ctl !== undefined ? { ctl: values.ctl } : {}), ...(cluster ? { cluster } : {}) };
}

/** --cluster, --node, --cluster-ttl, --cluster-prefix as RTimer's cluster option (checked again by RTimer). */
function clusterFlags(values: { cluster?: string; node?: string; 'cluster-ttl'?: string; 'cluster-prefix'?: string }): ClusterOptions | undefined {
  if (values.cluster === undefined) {
    const stray = (['node', 'cluster-ttl', 'cluster-prefix'] as const).find((f) => values[f] !== undefined);
    if (stray) throw new CliUsageError(`--${stray} goes with --cluster <url>`);
    return undefined;
  }
  if (values.node === undefined) throw new CliUsageError('--cluster needs --node <name>');
  const hosts = values.cluster.split(',').map((h) => h.trim());
  if (hosts.length > 64 || hosts.some((h) => h === '')) throw new CliUsageError(`--cluster: expected up to 64 comma-separated URLs, got "${values.cluster}"`);
  let ttlMs: number | undefined;
  if (values['cluster-ttl'] !== undefined) {
    try {
      ttlMs = Math.round(parseDurationMs(values['cluster-ttl']));
    } catch (err) {
      throw new CliUsageError(`--cluster-ttl: ${(err as Error).message}`);
    }
  }
  return { etcd: { hosts }, node: values.node, ...(ttlMs !== undefined ? { ttlMs } : {}),
    ...(values['cluster-prefix'] !== undefined ? { prefix: values['cluster-prefix'] } : {}) };
}
