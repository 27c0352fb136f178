#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CliUsageError, parseCli, USAGE } from './args.js';
import { runCtl } from '../ctl/command.js';
import { check, run, type Output } from './commands.js';

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
      case 'check': return await check(cmd.file, cmd.routes, io, { defines: cmd.defines });
      case 'run': {
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
          const live = process.stdout.isTTY && !cmd.quiet ? process.stdout : undefined;
          const liveShared = live && process.stderr.isTTY ? [process.stderr] : [];
          return await run(cmd.file, cmd.routes,
            { durationMs: cmd.durationMs, quiet: cmd.quiet, defines: cmd.defines, metrics: cmd.metrics, ctl: cmd.ctl, cluster: cmd.cluster, live, liveShared }, io, stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }
    }
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`rtimer: ${err.message}\n${USAGE}`);
      return 2;
    }
    io.err(`rtimer: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
