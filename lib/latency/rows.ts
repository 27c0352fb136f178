import { fork, type ChildProcess } from 'node:child_process';
import { binding, type FloorThread } from '../native/binding.js';
import { RTimerError } from '../errors.js';
import type { ChildMessage, ChildSetup, LatencyMode, ToChild } from './protocol.js';
import { LatencySeries } from './series.js';

// From lib/latency/ (tsx in the repo's tests) and from dist/latency/ alike, the compiled child.
const CHILD = new URL('../../dist/latency/child.js', import.meta.url);
/** How long a row's process may take to start its timer, and to stop it once asked. */
export const ROW_START_TIMEOUT_MS = 20_000;
export const ROW_STOP_TIMEOUT_MS = 5_000;

/** One row of `rtimer latency`: a timer in its own process, or the native floor thread of an interval. */
export interface LatencyRow {
  index: number;
  intervalNs: number;
  mode: LatencyMode | 'floor';
  /** The process the row runs in (the floor thread runs in rtimer latency's own). */
  pid: number;
  series: LatencySeries;
  /** Deadlines passed, and those not run (a timer's missed ticks; the floor's skipped cycles). */
  ticks: number;
  missed: number;
  /** Samples lost on the way to the parent (never expected: counted so a gap cannot hide). */
  dropped: number;
  cpuNs: number;
  wallNs: number;
  error?: string;
}

export interface RowSource {
  row: LatencyRow;
  /** Starts the measured window at `t0` (monotonic ns): every row covers the same one. */
  go(t0: bigint): void;
  /** Takes the samples recorded so far (the floor thread's; a timer's arrive on their own). */
  poll(): void;
  stop(): Promise<void>;
  /** Ends the row at once (an interrupted start). */
  kill(): void;
}

export class LatencyStartError extends RTimerError {
  constructor(message: string) {
    super('ERR_RTIMER_LATENCY_START', message);
    this.name = 'LatencyStartError';
  }
}

function floorRow(index: number, intervalNs: number, buckets: number): RowSource {
  const row: LatencyRow = { index, intervalNs, mode: 'floor', pid: process.pid, series: new LatencySeries(buckets),
    ticks: 0, missed: 0, dropped: 0, cpuNs: 0, wallNs: 0 };
  const floor: FloorThread = new binding.FloorThread(intervalNs);
  let t0 = 0n;
  let started = false;
  const poll = () => {
    if (!started) return;
    const d = floor.drain();
    for (let i = 0; i < d.length; i += 2) row.series.record(d[i + 1], (d[i] + 1) * intervalNs);
    const s = floor.stats();
    Object.assign(row, { ticks: s.cycles, missed: s.skipped, dropped: s.dropped, cpuNs: s.cpuNs,
      wallNs: Number(process.hrtime.bigint() - t0) });
  };
  return {
    row, poll, kill: () => floor.stop(), stop: async () => { floor.stop(); poll(); },
    go: (at) => { t0 = at; started = true; floor.start(at); },
  };
}

function timerRow(index: number, intervalNs: number, mode: LatencyMode, buckets: number, signal: AbortSignal): Promise<RowSource> {
  const row: LatencyRow = { index, intervalNs, mode, pid: 0, series: new LatencySeries(buckets),
    ticks: 0, missed: 0, dropped: 0, cpuNs: 0, wallNs: 0 };
  const setup: ChildSetup = { intervalNs, mode };
  const child: ChildProcess = fork(CHILD, [JSON.stringify(setup)], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  row.pid = child.pid ?? 0;
  let done = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (raw) => {
    const m = raw as ChildMessage;
    if (m.type === 'samples') {
      for (let i = 0; i < m.samples.length; i += 2) row.series.record(m.samples[i + 1], m.samples[i]);
      row.dropped += m.dropped;
    } else if (m.type === 'done') {
      done = true;
      Object.assign(row, { ticks: m.ticks, missed: m.missed, cpuNs: m.cpuNs, wallNs: m.wallNs });
    } else if (m.type === 'error') {
      row.error ??= m.message;
    }
  });
  child.on('error', (err) => { row.error ??= err.message; });
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  const tell = (m: ToChild) => { if (child.connected) child.send(m); };
  const source: RowSource = {
    row, poll: () => undefined, kill,
    go: (t0) => tell({ type: 'go', t0: String(t0) }),
    stop: async () => {
      tell({ type: 'stop' });
      const late = setTimeout(kill, ROW_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(late);
      if (!done) row.error ??= `its process (pid ${row.pid}) ended before it reported`;
    },
  };
  return new Promise((resolve, reject) => {
    let started = false;
    const settle = () => {
      started = true;
      clearTimeout(timeout);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (why: string) => {
      if (started) return;
      settle();
      kill();
      reject(new LatencyStartError(`${label(intervalNs, mode)}: ${why}`));
    };
    const onAbort = () => fail('interrupted');
    const timeout = setTimeout(() => fail(`did not start within ${ROW_START_TIMEOUT_MS / 1000}s`), ROW_START_TIMEOUT_MS);
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'ready' && !started) { settle(); resolve(source); }
      if (m.type === 'error') fail(m.message);
    });
    child.once('exit', (code, sig) => fail(`its process exited (${sig ?? `code ${code}`}) before its timer ran`));
  });
}

/** "1ms default", "20ms floor": how a row is named in every output. */
export function label(intervalNs: number, mode: string): string {
  return `${formatInterval(intervalNs)} ${mode}`;
}

/** 1s, 20ms, 250us: the interval the way the CLI takes it. */
export function formatInterval(ns: number): string {
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  return `${ns / 1e3}us`;
}

/**
 * Starts every row: per interval, one process per mode and the floor thread. Resolves once every timer
 * runs (call go() on each to start the measured window); rejects (everything started so far ended) when one cannot start or `signal` aborts first.
 */
export async function startRows(intervalsNs: readonly number[], modes: readonly LatencyMode[], buckets: number,
  signal: AbortSignal): Promise<RowSource[]> {
  const rows: RowSource[] = [];
  const pending: Promise<RowSource>[] = [];
  // A failed row stops the others' starts too.
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let firstError: unknown;
  let index = 0;
  for (const iv of intervalsNs) {
    for (const mode of modes) {
      pending.push(timerRow(index++, iv, mode, buckets, cancel.signal).catch((err) => {
        if (!cancel.signal.aborted) firstError = err;
        cancel.abort();
        throw err;
      }));
    }
    pending.push(Promise.resolve(floorRow(index++, iv, buckets)));
  }
  const all = await Promise.allSettled(pending);
  signal.removeEventListener('abort', onAbort);
  for (const r of all) if (r.status === 'fulfilled') rows.push(r.value);
  if (signal.aborted || firstError !== undefined) {
    for (const r of rows) r.kill();
    await Promise.all(rows.map((r) => r.stop()));
    if (!signal.aborted) throw firstError;
    throw new RTimerError('ERR_RTIMER_STOPPED', 'interrupted while the timers started');
  }
  return rows.sort((a, b) => a.row.index - b.row.index);
}
