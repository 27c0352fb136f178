#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CliUsageError, parseCli, USAGE } from './args.js';
import { runCtl } from '../ctl/command.js';
import { check, runTimers, timersOf, type Output } from './commands.js';

const io: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  // rtimer ctl has its own options (--json, --timeout) and exit codes: it reads the rest of the line itself.
  if (argv[0] === 'ctl') return runCtl(argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
  try {
    const cmd = parseCli(argv);
    switch (cmd.command) {
      case 'help': io.out(USAGE); return 0;
      case 'version': io.out(`${version()}\n`); return 0;
      case 'check': return await check(cmd.file, cmd.routes, io, { defines: cmd.defines, kamailioVersion: cmd.kamailioVersion });
      case 'run': {
        // The config is read first, with the signals' default action (exit at once): its reading is
        // synchronous, and a handler would only run once it is done.
        const rt = timersOf(cmd.file, cmd.routes, { defines: cmd.defines, kamailioVersion: cmd.kamailioVersion }, io);
        // The first SIGINT/SIGTERM stops the run in any phase (runTimers calls stop(), which kills workers
        // still starting); the signal's name is the abort reason, for the exit status. A second one while
        // that stop is under way (a route that ignores its abort, a slow worker) exits at once, 128 + its
        // number: the user asked twice.
        const stop = new AbortController();
        const onSignal = (name: NodeJS.Signals) => {
          if (!stop.signal.aborted) { stop.abort(name); return; }
          io.err(`rtimer: ${name} again: exiting now\n`);
          process.exit(name === 'SIGTERM' ? 143 : 130);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const live = process.stdout.isTTY && !cmd.quiet && !cmd.json ? process.stdout : undefined;
          const liveShared = live && process.stderr.isTTY ? [process.stderr] : [];
          return await runTimers(rt,
            { durationMs: cmd.durationMs, quiet: cmd.quiet, metrics: cmd.metrics, ctl: cmd.ctl, ctlOptions: cmd.ctlOptions, live, liveShared,
              json: cmd.json, histogram: cmd.histogram }, io, stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }
    }
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`rtimer: ${err.message}\nsee rtimer --help\n`);
      return 2;
    }
    io.err(`rtimer: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
