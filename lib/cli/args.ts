import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDurationMs } from '../config/interval.js';
import { didYouMean, RTimerError } from '../errors.js';
import { CTL_USAGE } from '../ctl/command.js';
import { parseMetricsAddress, type MetricsAddress } from '../metrics/address.js';
import { MAX_HISTOGRAM_BUCKETS } from './histogram.js';
import type { ClusterOptions } from '../cluster/options.js';

// rtimer ctl parses its own command line (lib/ctl/command.ts); its lines are shown here too.
const ctlLines = CTL_USAGE.split('\n').filter((l) => l.startsWith('  rtimer ctl')).join('\n');
const ctlOptions = CTL_USAGE.split('\n').filter((l) => l.startsWith('  options:')).map((l) => l.replace('  options:', '  ctl options:')).join('\n');

export const USAGE = `usage:
  rtimer check <kamailio.cfg> [--routes <module>] [--define NAME[=value]]... [--kamailio <X.Y[.Z]>]
  rtimer run <kamailio.cfg> --routes <module> [--duration <time>] [--quiet] [--json] [--histogram <N>]
             [--define NAME[=value]]... [--kamailio <X.Y[.Z]>] [--metrics <addr> [--metrics-public]]
             [--ctl <socket> [--ctl-max-connections <n>] [--ctl-idle-timeout <time>]]
             [--cluster <url>[,<url>...] --node <name> [--cluster-ttl <time>] [--cluster-prefix </path>]]
${ctlLines}
  rtimer latency [--interval 1ms,20ms] [--mode default,precision,own] [--duration 30s] [--histogram N]
                 [--json] [--svg <file>]          (rtimer latency --help)
  rtimer --help | --version

options:
  --routes <module>   the routes module (path or file URL); check verifies every route exists in it
  --define NAME[=value]
                      define NAME before reading the file, as kamailio -A does (repeatable): it picks
                      the #!ifdef branches that are read
  --kamailio <X.Y[.Z]>
                      read the file by that Kamailio version's rules (predefined KAMAILIO_X_Y..., its
                      directives and modules; 5.6 has no ptimer); default 6.0.0
  --duration <time>   run: stop after this long (10s, 250ms, 2m, 1h, 1d; a bare number is seconds);
                      default: until SIGINT or SIGTERM
  -q, --quiet         run: print neither the "running" line, the live view nor the summary (errors, the
                      metrics URL and the control socket path still go to stderr)
  --json              run: print the final statistics as JSON ({"timers":[...]}, ns) instead of the table
  --histogram <N>     run: also print route-entry lateness in N buckets of 1 µs, as cyclictest -h N does
                      (with --json: a "histogram" per timer)
  --metrics <addr>    run: serve Prometheus metrics on http://<addr>/metrics (127.0.0.1:9464, :9464 or 9464
                      for loopback, [::1]:9464); needs the optional package prom-client
  --metrics-public    run: allow a --metrics address other machines can reach (0.0.0.0:9464, a LAN address)
  --ctl <socket>      run: open a JSON-RPC control socket (mode 0600) at this path, for rtimer ctl
  --ctl-max-connections <n>
                      run: clients served at once on the control socket (default 64)
  --ctl-idle-timeout <time>
                      run: close a control connection idle this long (default 60s; 0: never)
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

exit status: 0 done; 1 bad configuration, no rtimer or ptimer timer, a timer failed, metrics could not
be served (a non-loopback --metrics address without --metrics-public, the port in use, prom-client
missing), or the --ctl socket could not be opened (no such directory, a file in the way, in use);
2 usage error; 130/143 run stopped by SIGINT/SIGTERM before its timers ran, or a second
signal while it stopped; rtimer ctl: 0 done, 1 the call failed, 2 usage error
`;

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'check'; file: string; routes?: string; defines: string[]; kamailioVersion?: string }
  | { command: 'run'; file: string; routes: string; durationMs?: number; quiet: boolean; defines: string[]; kamailioVersion?: string;
      metrics?: MetricsAddress & { public: boolean }; ctl?: string; cluster?: ClusterOptions; ctlOptions?: { maxConnections?: number; idleTimeoutMs?: number };
      json: boolean; histogram?: number };

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
  kamailio: { type: 'string' },
  metrics: { type: 'string' },
  'metrics-public': { type: 'boolean' },
  ctl: { type: 'string' },
  'ctl-max-connections': { type: 'string' },
  'ctl-idle-timeout': { type: 'string' },
  json: { type: 'boolean' },
  histogram: { type: 'string' },
  cluster: { type: 'string' },
  node: { type: 'string' },
  'cluster-ttl': { type: 'string' },
  'cluster-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** parseArgs, strict, with positionals and tokens; its errors (an unknown flag, a missing value) become usage errors. */
type StrictConfig<O> = { args: string[]; options: O; strict: true; allowPositionals: true; tokens: true };
export function parseStrict<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O): ReturnType<typeof parseArgs<StrictConfig<O>>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    const flag = /'(--?[^']+)'/.exec((err as Error).message)?.[1];
    const hint = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag
      ? didYouMean(flag, Object.keys(OPTIONS).map((k) => `--${k}`)) : '';
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]}${hint}`);
  }
}

/** A flag given twice (other than those `repeatable`) or with an empty value is a usage error. */
export function checkRepeats(tokens: readonly { kind: string; name?: string; value?: string | undefined }[], repeatable: readonly string[] = []): void {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined) continue;
    if (seen.has(t.name) && !repeatable.includes(t.name)) throw new CliUsageError(`--${t.name} given twice`);
    seen.add(t.name);
    if (t.value === '') throw new CliUsageError(`--${t.name} needs a value, got an empty one`);
  }
}

/** The command line, checked strictly: unknown flags, empty or repeated values and extra arguments are usage errors. */
export function parseCli(argv: string[]): CliCommand {
  const { values, positionals, tokens } = parseStrict(argv, OPTIONS);
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  checkRepeats(tokens, ['define']);
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
  const kamailioVersion = values.kamailio;
  if (kamailioVersion !== undefined && !/^\d{1,3}\.\d{1,3}(\.\d{1,3})?$/.test(kamailioVersion)) {
    throw new CliUsageError(`--kamailio "${kamailioVersion}": expected a Kamailio version X.Y or X.Y.Z, such as 5.6 or 6.0.1`);
  }
  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new CliUsageError('missing command (check or run)');
  if (command === 'ctl') throw new CliUsageError('ctl comes first: rtimer ctl <socket> <method> [timer] [--json]');
  if (command !== 'check' && command !== 'run') {
    throw new CliUsageError(`unknown command "${command}"${didYouMean(command, ['check', 'run', 'ctl', 'latency'])}`);
  }
  if (file === undefined) throw new CliUsageError(`${command} needs a kamailio.cfg`);
  if (extra.length > 0) throw new CliUsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'check') {
    for (const flag of ['duration', 'quiet', 'metrics', 'metrics-public', 'ctl', 'ctl-max-connections', 'ctl-idle-timeout', 'json', 'histogram',
      'cluster', 'node', 'cluster-ttl', 'cluster-prefix'] as const) {
      if (values[flag] !== undefined) throw new CliUsageError(`--${flag} is for run, not check`);
    }
    return { command, file, routes: values.routes, defines, ...(kamailioVersion !== undefined ? { kamailioVersion } : {}) };
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
  let histogram: number | undefined;
  if (values.histogram !== undefined) {
    histogram = Number(values.histogram);
    if (!/^[0-9]+$/.test(values.histogram) || histogram < 1 || histogram > MAX_HISTOGRAM_BUCKETS) {
      throw new CliUsageError(`--histogram "${values.histogram}": expected a number of 1 µs buckets from 1 to ${MAX_HISTOGRAM_BUCKETS}`);
    }
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
  const ctlOptions: { maxConnections?: number; idleTimeoutMs?: number } = {};
  const max = values['ctl-max-connections'];
  const idle = values['ctl-idle-timeout'];
  if ((max !== undefined || idle !== undefined) && values.ctl === undefined) {
    throw new CliUsageError(`--${max !== undefined ? 'ctl-max-connections' : 'ctl-idle-timeout'} goes with --ctl <socket>`);
  }
  if (max !== undefined) {
    if (!/^[0-9]+$/.test(max) || Number(max) < 1 || Number(max) > 2 ** 31 - 1) {
      throw new CliUsageError(`--ctl-max-connections: "${max}" is not a whole number from 1 to 2147483647`);
    }
    ctlOptions.maxConnections = Number(max);
  }
  if (idle !== undefined) {
    let ms: number;
    try {
      ms = parseDurationMs(idle);
    } catch (err) {
      throw new CliUsageError(`--ctl-idle-timeout: ${(err as Error).message}`);
    }
    if (ms > 2 ** 31 - 1) throw new CliUsageError(`--ctl-idle-timeout: "${idle}" is too long (at most 24.8d)`);
    ctlOptions.idleTimeoutMs = Math.ceil(ms);
  }
  const cluster = clusterFlags(values);
  return { command, file, routes: values.routes, durationMs, quiet: values.quiet ?? false, defines,
    ...(kamailioVersion !== undefined ? { kamailioVersion } : {}), ...(metrics ? { metrics } : {}),
    json: values.json ?? false, ...(histogram !== undefined ? { histogram } : {}),
    ...(values.ctl !== undefined ? { ctl: values.ctl, ctlOptions } : {}), ...(cluster ? { cluster } : {}) };
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
