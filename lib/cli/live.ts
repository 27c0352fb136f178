import type { TimerStats } from '../rtimer.js';

/** The part of a TTY write stream the live view uses. */
export interface LiveStream {
  write(text: string): unknown;
  /** Terminal width: lines are cut to it, since a wrapped line would break the cursor-up count. */
  columns?: number;
}

/** Fewest ms between two redraws: at most 4 a second, like cyclictest's running output. */
export const LIVE_MIN_INTERVAL_MS = 250;

const CSI = '\x1b[';

const us = (ns: number) => (ns / 1000).toFixed(ns < 10_000 ? 1 : 0);

function every(intervalUs: number): string {
  if (intervalUs % 1_000_000 === 0) return `${intervalUs / 1_000_000}s`;
  if (intervalUs % 1000 === 0) return `${intervalUs / 1000}ms`;
  return `${intervalUs}us`;
}

type LiveRow = Pick<TimerStats, 'name' | 'mode' | 'intervalUs' | 'executions' | 'missed' | 'errors' | 'lateness' | 'failed'>;

/**
 * One line per timer, columns aligned across timers: what cyclictest prints while it runs, in our words.
 * `T: fast (mode 0, every 10ms)  C: 1234  missed: 0  errors: 0  late µs p50: 12.3  p99: 40.1  max: 120`
 */
export function formatLiveLines(stats: readonly LiveRow[]): string[] {
  const cells = stats.map((s) => [
    `${s.name} (mode ${s.mode}, every ${every(s.intervalUs)})${s.failed ? ' FAILED' : ''}`,
    String(s.executions), String(s.missed), String(s.errors),
    us(s.lateness.count ? s.lateness.percentile(50) : 0), us(s.lateness.count ? s.lateness.percentile(99) : 0),
    us(s.lateness.count ? s.lateness.max : 0),
  ]);
  const width = (i: number) => Math.max(0, ...cells.map((c) => c[i].length));
  const w = [0, 1, 2, 3, 4, 5, 6].map(width);
  return cells.map((c) => `T: ${c[0].padEnd(w[0])}  C: ${c[1].padStart(w[1])}  missed: ${c[2].padStart(w[2])}  ` +
    `errors: ${c[3].padStart(w[3])}  late µs p50: ${c[4].padStart(w[4])}  p99: ${c[5].padStart(w[5])}  max: ${c[6].padStart(w[6])}`);
}

/** Cuts a line to `columns` characters (by code point), so it never wraps. */
function fit(line: string, columns: number | undefined): string {
  if (!columns || columns < 2) return line;
  const chars = [...line];
  return chars.length < columns ? line : chars.slice(0, columns - 1).join('');
}

/**
 * Redraws the lines of `source()` in place on a terminal: cursor up over the previous drawing, then
 * each line cleared and rewritten. Owns an unref'd interval, so it never keeps the process alive.
 */
export class LiveView {
  readonly #stream: LiveStream;
  readonly #source: () => string[];
  readonly #intervalMs: number;
  #handle: ReturnType<typeof setInterval> | null = null;
  #drawn = 0;

  constructor(stream: LiveStream, source: () => string[], intervalMs = LIVE_MIN_INTERVAL_MS) {
    this.#stream = stream;
    this.#source = source;
    this.#intervalMs = Math.max(LIVE_MIN_INTERVAL_MS, intervalMs);
  }

  get running(): boolean { return this.#handle !== null; }

  start(): this {
    if (this.#handle) return this;
    this.draw();
    this.#handle = setInterval(() => this.draw(), this.#intervalMs);
    this.#handle.unref();
    return this;
  }

  /** Writes the current lines over the previous ones. A source that throws leaves the last drawing. */
  draw(): void {
    let lines: string[];
    try {
      lines = this.#source();
    } catch {
      return;
    }
    let text = this.#drawn ? `${CSI}${this.#drawn}A` : '';
    for (const line of lines) text += `\r${CSI}2K${fit(line, this.#stream.columns)}\n`;
    // Fewer lines than last time: clear what is left below.
    if (lines.length < this.#drawn) text += `${CSI}J`;
    this.#drawn = lines.length;
    this.#stream.write(text);
  }

  /** Stops redrawing and erases the live lines, so the summary that follows stands alone. Idempotent. */
  stop(): void {
    if (this.#handle) clearInterval(this.#handle);
    this.#handle = null;
    if (this.#drawn) this.#stream.write(`${CSI}${this.#drawn}A\r${CSI}J`);
    this.#drawn = 0;
  }
}
