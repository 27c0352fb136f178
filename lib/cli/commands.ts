import { RTimerConfigError } from '../errors.js';
import { loadKamailioConfig } from '../config/kamailio-cfg.js';
import type { RTimerConfig } from '../config/config.js';
import { loadRoutes, resolveRoutes } from '../route/routes.js';
import { RTimer } from '../rtimer.js';
import { formatSummary } from './summary.js';
import { waitFor, type TimerFunctions } from './wait.js';

export interface Output { out(text: string): void; err(text: string): void }

/** A config file with at least one rtimer timer: a file without one is almost surely the wrong file. */
function loadTimers(file: string): RTimerConfig {
  const config = loadKamailioConfig(file);
  if (config.resolve().length === 0) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_NO_TIMER', `no rtimer timer in ${file}`, { file, text: file });
  }
  return config;
}

export async function check(file: string, routes: string | undefined, io: Output): Promise<number> {
  const timers = loadTimers(file).resolve();
  if (routes !== undefined) {
    const { routes: mod, from } = await loadRoutes(routes);
    resolveRoutes(mod, from, timers);
  }
  const out = timers.map(({ name, mode, interval, unit, intervalUs, routes: r }) => ({ name, mode, interval, unit, intervalUs, routes: r }));
  io.out(JSON.stringify({ timers: out }, null, 2) + '\n');
  return 0;
}

export interface RunOptions { durationMs?: number; quiet?: boolean; timers?: TimerFunctions }

export async function run(file: string, routes: string, options: RunOptions, io: Output, signal: AbortSignal): Promise<number> {
  return runTimers(new RTimer({ config: loadTimers(file), routes }), options, io, signal);
}

/**
 * Starts `rt`, waits for the duration or `signal`, stops it and prints the summary. Exit status 1 when
 * a timer failed (its workers kept dying): the run did not do what the configuration asked.
 */
export async function runTimers(rt: RTimer, options: RunOptions, io: Output, signal: AbortSignal): Promise<number> {
  const failed = new Set<string>();
  const end = new AbortController();
  const onSignal = () => end.abort();
  signal.addEventListener('abort', onSignal, { once: true });
  rt.on('error', (err: Error) => io.err(`rtimer: ${err.message}\n`));
  rt.on('timer-failed', (e: { timer: string }) => {
    failed.add(e.timer);
    // Nothing left to run: waiting out the duration would only hide the failure.
    if (rt.timers().every((t) => failed.has(t.name))) end.abort();
  });
  if (signal.aborted) end.abort();
  try {
    await rt.start();
    if (!options.quiet) {
      const names = rt.timers().map((t) => `${t.name} (${t.interval}${t.unit}, mode ${t.mode})`).join(', ');
      const forHow = options.durationMs !== undefined ? ` for ${options.durationMs / 1000}s` : '';
      io.err(`rtimer: running ${names}${forHow}; Ctrl-C stops\n`);
    }
    await waitFor(options.durationMs, end.signal, options.timers);
  } finally {
    signal.removeEventListener('abort', onSignal);
    await rt.stop();
  }
  const stats = rt.stats();
  for (const s of stats) if (s.failed) failed.add(s.name);
  if (!options.quiet) io.out(formatSummary(stats));
  if (failed.size === 0) return 0;
  io.err(`rtimer: failed: ${[...failed].join(', ')}\n`);
  return 1;
}
