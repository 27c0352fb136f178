import type { ClusterOptions } from '../cluster/options.js';
import { RTimerConfigError, RTimerError } from '../errors.js';
import { loadKamailioConfig } from '../config/kamailio-cfg.js';
import type { RTimerConfig } from '../config/config.js';
import type { TimerConfig } from '../config/types.js';
import { loadRoutes, resolveRoutes } from '../route/routes.js';
import { RTimer } from '../rtimer.js';
import { serveMetrics, type MetricsServer } from '../metrics/server.js';
import type { MetricsAddress } from '../metrics/address.js';
import type { ListenOptions } from '../ctl/server.js';
import { formatLiveLines, LiveView, type LiveStream } from './live.js';
import { formatHistogram, microsecondBins } from './histogram.js';
import { formatSummary } from './summary.js';
import { waitFor, type TimerFunctions } from './wait.js';

export interface Output { out(text: string): void; err(text: string): void }

/**
 * A config file with at least one rtimer or ptimer timer: a file without one is almost surely the wrong
 * file (or the wrong --define). Preprocessor warnings go to stderr.
 */
function loadTimers(file: string, defines: readonly string[], kamailioVersion: string | undefined, io: Output): RTimerConfig {
  const config = loadKamailioConfig(file, {
    defines, kamailioVersion, onWarning: (w) => io.err(`rtimer: warning: ${w.file}:${w.line}: ${w.message}\n`),
  });
  if (config.resolve().length === 0) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_NO_TIMER', `no rtimer or ptimer timer in ${file}`, { file, text: file });
  }
  return config;
}

/** What `check` prints of a timer: ptimer's keys where the timer has them. */
function describeTimer(t: TimerConfig): Record<string, unknown> {
  const { name, mode, interval, unit, intervalUs, routes, type, start, end, ntasks, nslices } = t;
  const sliced = type !== undefined || ntasks !== 0 || nslices !== 1;
  return {
    name, mode, interval, unit, intervalUs, routes,
    ...(type !== undefined ? { type } : {}),
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    ...(sliced ? { ntasks, nslices } : {}),
  };
}

export interface CheckOptions { defines?: readonly string[]; kamailioVersion?: string }

export async function check(file: string, routes: string | undefined, io: Output, options: CheckOptions = {}): Promise<number> {
  const timers = loadTimers(file, options.defines ?? [], options.kamailioVersion, io).resolve();
  if (routes !== undefined) {
    const { routes: mod, from } = await loadRoutes(routes);
    // ptimer checks its start and end routes as well as the loop one.
    resolveRoutes(mod, from, timers.map((t) => ({
      name: t.name, routes: [t.start, ...t.routes, t.end].filter((r): r is string => r !== undefined),
    })));
  }
  io.out(JSON.stringify({ timers: timers.map(describeTimer) }, null, 2) + '\n');
  return 0;
}

export interface RunOptions {
  durationMs?: number;
  quiet?: boolean;
  timers?: TimerFunctions;
  defines?: readonly string[];
  /** The Kamailio version whose rules the file is read by (--kamailio). */
  kamailioVersion?: string;
  /** Serve /metrics there while the timers run (--metrics, --metrics-public). */
  metrics?: MetricsAddress & { public?: boolean };
  /** A terminal to redraw the live lines on (the CLI passes stdout when it is a TTY); none if omitted or quiet. */
  live?: LiveStream;
  /** Other streams on that terminal (stderr when it is one): what they print goes above the live lines. */
  liveShared?: LiveStream[];
  /** Open the control socket there before the timers start (--ctl); stop() closes it. */
  ctl?: string;
  /** Its limits (--ctl-max-connections, --ctl-idle-timeout). */
  ctlOptions?: Omit<ListenOptions, 'path'>;
  /** Print the final statistics as JSON instead of the table (--json). */
  json?: boolean;
  /** Also print lateness in this many 1 µs buckets (--histogram, cyclictest's -h). */
  histogram?: number;
  /** Cluster mode (--cluster, --node, --cluster-ttl, --cluster-prefix). */
  cluster?: ClusterOptions;
}

export async function run(file: string, routes: string, options: RunOptions, io: Output, signal: AbortSignal): Promise<number> {
  return runTimers(timersOf(file, routes, options, io), options, io, signal);
}

/**
 * The RTimer of `rtimer run`: its config read, its routes not yet loaded. Reading is synchronous, so
 * main.ts does it before it takes SIGINT/SIGTERM over: until then they end the process at once.
 */
export function timersOf(file: string, routes: string, options: Pick<RunOptions, 'defines' | 'kamailioVersion' | 'cluster'>, io: Output): RTimer {
  return new RTimer({ config: loadTimers(file, options.defines ?? [], options.kamailioVersion, io), routes,
    ...(options.cluster ? { cluster: options.cluster } : {}) });
}

/**
 * Starts `rt`, waits for the duration or `signal`, stops it and prints the summary. Exit status 1 when
 * a timer failed (its workers kept dying): the run did not do what the configuration asked.
 * Metrics are served before the timers start, so a refused address, a port in use or a missing
 * prom-client fails the run before any route has run.
 * `signal` stops the run in every phase: while the timers start it calls stop() at once (workers hung
 * in onWorkerStart are killed, not waited for) and the run ends with {@link interruptedStatus}, no
 * summary, as no timer ran; once they run, it ends the run normally (0 and the summary).
 */
export async function runTimers(rt: RTimer, options: RunOptions, io: Output, signal: AbortSignal): Promise<number> {
  const failed = new Set<string>();
  const end = new AbortController();
  const onSignal = () => {
    end.abort();
    // start() waits for every worker's onWorkerStart (up to startTimeoutMs): stop() aborts it now.
    if (rt.state === 'starting') rt.stop().catch(() => undefined);
  };
  signal.addEventListener('abort', onSignal, { once: true });
  rt.on('error', (err: Error) => io.err(`rtimer: ${err.message}\n`));
  rt.on('timer-failed', (e: { timer: string }) => {
    failed.add(e.timer);
    // Nothing left to run: waiting out the duration would only hide the failure.
    if (rt.timers().every((t) => failed.has(t.name))) end.abort();
  });
  if (signal.aborted) end.abort();
  let metrics: MetricsServer | null = null;
  let live: LiveView | null = null;
  try {
    if (options.metrics) {
      const { host, port } = options.metrics;
      metrics = await serveMetrics(rt, { host, port, public: options.metrics.public ?? false });
    }
    // The control socket opens before the timers start too, so a missing directory, a file in the
    // way or a socket in use fails the run before any route has run (verbs sent while the timers
    // start are answered ERR_RTIMER_NOT_RUNNING).
    const ctl = options.ctl !== undefined ? await rt.listen({ path: options.ctl, ...options.ctlOptions }) : undefined;
    if (signal.aborted) return interrupted(signal, io);
    try {
      await rt.start();
    } catch (err) {
      if (signal.aborted && err instanceof RTimerError && err.code === 'ERR_RTIMER_STOPPED') return interrupted(signal, io);
      throw err;
    }
    if (!options.quiet) {
      const names = rt.timers().map((t) => `${t.name} (${t.interval}${t.unit}, mode ${t.mode})`).join(', ');
      const forHow = options.durationMs !== undefined ? ` for ${options.durationMs / 1000}s` : '';
      io.err(`rtimer: running ${names}${forHow}; Ctrl-C stops\n`);
    }
    // Where to reach the run: printed even with --quiet, which silences figures, not addresses.
    if (metrics) io.err(`rtimer: metrics at ${metrics.url}\n`);
    if (ctl) io.err(`rtimer: control socket ${ctl.path} (rtimer ctl ${ctl.path} list)\n`);
    const tty = options.live;
    if (tty && !options.quiet) live = new LiveView(tty, () => formatLiveLines(rt.stats(), tty.columns), { shared: options.liveShared }).start();
    await waitFor(options.durationMs, end.signal, options.timers);
  } finally {
    signal.removeEventListener('abort', onSignal);
    live?.stop();
    try {
      await rt.stop();
    } finally {
      await metrics?.close(); // an open server would keep the process alive after a failed stop
    }
  }
  const stats = rt.stats();
  for (const s of stats) if (s.failed) failed.add(s.name);
  if (options.json) {
    const timers = stats.map((s) => (options.histogram ? { ...s, histogram: { bucketUs: 1, ...microsecondBins(s.lateness, options.histogram) } } : s));
    io.out(`${JSON.stringify({ timers })}\n`);
  } else if (!options.quiet) {
    io.out(formatSummary(stats));
    if (options.histogram) io.out(formatHistogram(stats, options.histogram));
  }
  if (failed.size === 0) return 0;
  io.err(`rtimer: failed: ${[...failed].join(', ')}\n`);
  return 1;
}

/**
 * The exit status of a run stopped by a signal before its timers ran: 128 + the signal's number, as a
 * shell reports a process the signal killed (130 for SIGINT, the default; 143 for SIGTERM), so a script
 * can tell "interrupted before anything ran" from a run that ended (0). main.ts gives the signal's name
 * as the abort reason.
 */
export function interruptedStatus(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? 143 : 130;
}

function interrupted(signal: AbortSignal, io: Output): number {
  io.err(`rtimer: interrupted while the timers started; stopped\n`);
  return interruptedStatus(signal);
}
