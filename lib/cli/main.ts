#!/usr/bin/env node
import { RTimerConfig } from '../config/config.js';
import { parseDurationMs } from '../config/interval.js';
import { loadKamailioConfig } from '../config/kamailio-cfg.js';
import { RTimerError } from '../errors.js';
import { loadRoutes, resolveRoutes } from '../route/routes.js';
import { RTimer } from '../rtimer.js';
import { parseArgs } from './args.js';
import { formatSummary } from './summary.js';

const USAGE = `usage:
  rtimer check <kamailio.cfg> [--routes <module>]
  rtimer run <kamailio.cfg> --routes <module> [--duration <time>] [--quiet]
`;

function fail(err: unknown): number {
  process.stderr.write(`rtimer: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

async function check(file: string, routes: string | undefined): Promise<number> {
  const config = loadKamailioConfig(file, new RTimerConfig());
  const timers = config.resolve();
  if (routes) {
    const { routes: mod, from } = await loadRoutes(routes);
    resolveRoutes(mod, from, timers);
  }
  const out = timers.map(({ name, mode, interval, unit, intervalUs, routes: r }) => ({ name, mode, interval, unit, intervalUs, routes: r }));
  process.stdout.write(JSON.stringify({ timers: out }, null, 2) + '\n');
  return 0;
}

async function run(file: string, routes: string, durationMs: number | undefined): Promise<number> {
  const rt = new RTimer({ config: loadKamailioConfig(file, new RTimerConfig()), routes });
  rt.on('error', (err: Error) => process.stderr.write(`rtimer: ${err.message}\n`));
  await rt.start();
  const names = rt.timers().map((t) => `${t.name} (${t.interval}${t.unit}, mode ${t.mode})`).join(', ');
  process.stderr.write(`rtimer: running ${names}${durationMs !== undefined ? ` for ${durationMs / 1000}s` : ''}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    const timer = durationMs !== undefined ? setTimeout(done, durationMs) : undefined;
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await rt.stop();
  process.stdout.write(formatSummary(rt.stats()));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, ['routes', 'duration']);
  } catch (err) {
    process.stderr.write(`rtimer: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = args.positional[0];
  const routes = args.flags.get('routes');
  if (args.flags.has('help') || !args.command || !file || (routes !== undefined && typeof routes !== 'string')) {
    process.stderr.write(USAGE);
    return args.flags.has('help') ? 0 : 2;
  }
  try {
    if (args.command === 'check') return await check(file, routes as string | undefined);
    if (args.command === 'run') {
      if (typeof routes !== 'string') throw new RTimerError('ERR_RTIMER_USAGE', 'run needs --routes <module>');
      const d = args.flags.get('duration');
      return await run(file, routes, typeof d === 'string' ? parseDurationMs(d) : undefined);
    }
    process.stderr.write(`rtimer: unknown command "${args.command}"\n${USAGE}`);
    return 2;
  } catch (err) {
    return fail(err);
  }
}

process.exitCode = await main(process.argv.slice(2));
