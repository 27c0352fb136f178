#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CliUsageError, parseCli, USAGE } from './args.js';
import { runCtl } from '../ctl/command.js';
import { check, runTimers, timersOf, type Output } from './commands.js';
import { LATENCY_USAGE, parseLatencyArgs } from './latency.js';
import { runLatency } from '../latency/run.js';

const io: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A usage error is one line and where to read more, exit 2; any other error exits 1. */
function failed(err: unknown, help: string): number {
  if (err instanceof CliUsageError) {
    io.err(`rtimer: ${err.message}\nsee ${help}\n`);
    return 2;
  }
  io.err(`rtimer: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/**
 * The first SIGINT/SIGTERM aborts the signal given to `fn` (its name is the abort reason, for the exit
 * status): the command stops in any phase. A second one while it stops (a route that ignores its abort,
 * a slow worker) exits at once, 128 + its number: the user asked twice.
 */
async function stopOnSignals(fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!stop.signal.aborted) { stop.abort(name); return; }
    io.err(`rtimer: ${name} again: exiting now\n`);
    process.exit(name === 'SIGTERM' ? 143 : 130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function latency(argv: string[]): Promise<number> {
  try {
    const cmd = parseLatencyArgs(argv);
    if (cmd.command === 'help') { io.out(LATENCY_USAGE); return 0; }
    // With --json stdout holds the JSON alone: the running lines go to stderr, on a terminal only.
    const live = cmd.json ? (process.stderr.isTTY ? process.stderr : undefined) : (process.stdout.isTTY ? process.stdout : undefined);
    const liveShared = live === process.stdout && process.stderr.isTTY ? [process.stderr] : [];
    return await stopOnSignals((signal) => runLatency(cmd, { ...io, live, liveShared, version: version(),
      cmdline: ['rtimer', 'latency', ...argv].join(' ') }, signal));
  } catch (err) {
    return failed(err, 'rtimer latency --help');
  }
}

async function main(argv: string[]): Promise<number> {
  // rtimer ctl has its own options (--json, --timeout) and exit codes: it reads the rest of the line itself.
  if (argv[0] === 'ctl') return runCtl(argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
  if (argv[0] === 'latency') return latency(argv.slice(1));
  try {
    const cmd = parseCli(argv);
    switch (cmd.command) {
      case 'help': io.out(USAGE); return 0;
      case 'version': io.out(`${version()}\n`); return 0;
      case 'check': return await check(cmd.file, cmd.routes, io, { defines: cmd.defines, kamailioVersion: cmd.kamailioVersion });
      case 'run': {
        // The config is read first, with the signals' default action (exit at once): its reading is
        // synchronous, and a handler would only run once it is done.
        const rt = timersOf(cmd.file, cmd.routes, { defines: cmd.defines, kamailioVersion: cmd.kamailioVersion, cluster: cmd.cluster }, io);
        const live = process.stdout.isTTY && !cmd.quiet && !cmd.json ? process.stdout : undefined;
        const liveShared = live && process.stderr.isTTY ? [process.stderr] : [];
        return await stopOnSignals((signal) => runTimers(rt,
          { durationMs: cmd.durationMs, quiet: cmd.quiet, metrics: cmd.metrics, ctl: cmd.ctl, ctlOptions: cmd.ctlOptions, live, liveShared,
            json: cmd.json, histogram: cmd.histogram }, io, signal));
      }
    }
  } catch (err) {
    return failed(err, 'rtimer --help');
  }
}

process.exitCode = await main(process.argv.slice(2));
