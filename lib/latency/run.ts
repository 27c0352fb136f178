import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { interruptedStatus } from '../cli/commands.js';
import { waitFor } from '../cli/wait.js';
import { LiveView, type LiveStream } from '../cli/live.js';
import { RTimerError } from '../errors.js';
import { formatHistogram, formatSummary, liveLines } from './format.js';
import type { LatencyMode } from './protocol.js';
import { buildReport, type LatencyJSON } from './report.js';
import { startRows, type RowSource } from './rows.js';
import { renderSvg } from './svg.js';

export interface LatencyOptions {
  intervalsNs: number[];
  modes: LatencyMode[];
  durationMs: number;
  /** cyclictest's -h N: N buckets of 1 µs; 0: none. */
  histogram: number;
  json: boolean;
  svg?: string;
}

export interface LatencyIo {
  out(text: string): void;
  err(text: string): void;
  /** A terminal to redraw the running lines on; without one they are printed as plain blocks. */
  live?: LiveStream;
  liveShared?: LiveStream[];
  /** Ms between two plain blocks (no terminal, no --json). Default 5000. */
  plainEveryMs?: number;
  version: string;
  cmdline: string;
}

const POLL_MS = 100;

export class LatencyOutputError extends RTimerError {
  constructor(message: string) {
    super('ERR_RTIMER_LATENCY_OUTPUT', message);
    this.name = 'LatencyOutputError';
  }
}

/** Fails before anything runs when the plot could not be written at the end. */
function checkWritable(file: string): void {
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new Error('is a directory');
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    throw new LatencyOutputError(`--svg ${file}: cannot write there (${(err as Error).message})`);
  }
}

/**
 * Runs the rows for the duration or until `signal` (Ctrl-C), then prints the summary (or the JSON) and
 * writes the SVG. Exit status: 0 done; 1 a row failed or the SVG could not be written; 130/143 when
 * `signal` came before every row ran (nothing measured).
 */
export async function runLatency(o: LatencyOptions, io: LatencyIo, signal: AbortSignal): Promise<number> {
  if (o.svg !== undefined) checkWritable(o.svg);
  let sources: RowSource[];
  try {
    sources = await startRows(o.intervalsNs, o.modes, o.histogram, signal);
  } catch (err) {
    if (err instanceof RTimerError && err.code === 'ERR_RTIMER_STOPPED') {
      io.err('rtimer: interrupted while the timers started; stopped\n');
      return interruptedStatus(signal);
    }
    throw err;
  }
  const rows = sources.map((s) => s.row);
  const start = new Date();
  const t0 = process.hrtime.bigint();
  for (const s of sources) s.go(t0);
  const poll = setInterval(() => { for (const s of sources) s.poll(); }, POLL_MS);
  const lines = () => { for (const s of sources) s.poll(); return liveLines(rows); };
  let view: LiveView | null = null;
  let plain: ReturnType<typeof setInterval> | null = null;
  const what = `${rows.length} rows (${o.modes.join(', ')} and the C floor at ${o.intervalsNs.length} interval${o.intervalsNs.length > 1 ? 's' : ''})`;
  io.err(`rtimer latency: ${what} for ${o.durationMs / 1000}s; Ctrl-C stops and prints the summary\n`);
  if (io.live) view = new LiveView(io.live, lines, { shared: io.liveShared }).start();
  else if (!o.json) plain = setInterval(() => io.out(lines().join('\n') + '\n\n'), io.plainEveryMs ?? 5000);
  try {
    await waitFor(o.durationMs, signal);
  } finally {
    clearInterval(poll);
    if (plain) clearInterval(plain);
    // The last drawing stays on a terminal: the summary follows it, as in cyclictest.
    const last = view ? lines() : null;
    view?.stop();
    if (last) io.live!.write(last.join('\n') + '\n');
    await Promise.all(sources.map((s) => s.stop()));
  }
  const failed = rows.filter((r) => r.error);
  let code = failed.length ? 1 : 0;
  const report = (rc: number): LatencyJSON => buildReport(rows, { version: io.version, cmdline: io.cmdline, start, end: new Date(), returnCode: rc, buckets: o.histogram });
  let json = report(code);
  if (o.svg !== undefined) {
    try {
      writeFileSync(o.svg, renderSvg(json));
      io.err(`rtimer latency: wrote ${o.svg}\n`);
    } catch (err) {
      io.err(`rtimer: --svg ${o.svg}: ${(err as Error).message}\n`);
      code = 1;
      json = report(code);
    }
  }
  if (o.json) io.out(JSON.stringify(json, null, 2) + '\n');
  else {
    io.out(formatSummary(json));
    if (o.histogram > 0) io.out(formatHistogram(rows));
  }
  for (const r of failed) io.err(`rtimer: ${r.mode === 'floor' ? 'floor' : r.mode} ${r.intervalNs / 1e6}ms failed: ${r.error}\n`);
  return code;
}
