import type { TimerStats } from '../stats/timer-stats.js';
import { microseconds } from '../ctl/format.js';

/** The part of a TTY write stream the live view uses. */
export interface LiveStream {
  write(text: string): unknown;
  /** Terminal width: lines are cut to it, since a wrapped line would break the cursor-up count. */
  columns?: number;
}

/** Fewest ms between two redraws: at most 4 a second, like cyclictest's running output. */
export const LIVE_MIN_INTERVAL_MS = 250;

const CSI = '\x1b[';

const us = microseconds;

function every(intervalUs: number): string {
  if (intervalUs % 1_000_000 === 0) return `${intervalUs / 1_000_000}s`;
  if (intervalUs % 1000 === 0) return `${intervalUs / 1000}ms`;
  return `${intervalUs}us`;
}

type LiveRow = Pick<TimerStats, 'name' | 'mode' | 'intervalUs' | 'executions' | 'missed' | 'errors' | 'lateness' | 'failed'>;

/**
 * One line per timer, columns aligned across timers: what cyclictest prints while it runs, in our words.
 * `T: fast (mode 0, every 10ms)  C: 1234  missed: 0  errors: 0  late µs p50: 12.3  p99: 40.1  max: 120`
 * On a terminal narrower than that, whole columns go (max, then p99, errors, p50, missed), never
 * digits of a figure; only a name too long for the terminal is cut.
 */
export function formatLiveLines(stats: readonly LiveRow[], columns?: number): string[] {
  const cells = stats.map((s) => [
    `${s.name} (mode ${s.mode}, every ${every(s.intervalUs)})${s.failed ? ' FAILED' : ''}`,
    String(s.executions), String(s.missed), String(s.errors),
    us(s.lateness.count ? s.lateness.percentile(50) : 0), us(s.lateness.count ? s.lateness.percentile(99) : 0),
    us(s.lateness.count ? s.lateness.max : 0),
  ]);
  const width = (i: number) => Math.max(0, ...cells.map((c) => c[i].length));
  const w = [0, 1, 2, 3, 4, 5, 6].map(width);
  // [label, cell index]; the p50 label carries "late µs" for whichever lateness column comes first.
  const all: [string, number][] = [['C', 1], ['missed', 2], ['errors', 3], ['p50', 4], ['p99', 5], ['max', 6]];
  const render = (shown: [string, number][]) => cells.map((c) => {
    let late = false;
    const parts = shown.map(([label, i]) => {
      const lateness = i >= 4 && !late;
      if (i >= 4) late = true;
      return `${lateness ? 'late µs ' : ''}${label}: ${c[i].padStart(w[i])}`;
    });
    return [`T: ${c[0].padEnd(w[0])}`, ...parts].join('  ');
  });
  let shown = all;
  let lines = render(shown);
  for (const drop of ['max', 'p99', 'errors', 'p50', 'missed']) {
    if (!columns || lines.every((l) => [...l].length < columns)) break;
    shown = shown.filter(([label]) => label !== drop);
    lines = render(shown);
  }
  return lines;
}

/** Cuts a line to `columns` characters (by code point), so it never wraps. */
function fit(line: string, columns: number | undefined): string {
  if (!columns || columns < 2) return line;
  const chars = [...line];
  return chars.length < columns ? line : chars.slice(0, columns - 1).join('');
}

// Node's stream.write overloads, as far as the live view needs them.
type Write = (chunk: unknown, ...rest: unknown[]) => unknown;

export interface LiveViewOptions {
  /** Ms between redraws; never less than LIVE_MIN_INTERVAL_MS. */
  intervalMs?: number;
  /**
   * Other streams on the same terminal (stderr). Text written to them, or to the live stream itself,
   * while the view runs goes above the live lines: the lines are erased, the text written, the lines
   * drawn again below it. Only writes made in this process can be seen (not a worker process's).
   */
  shared?: LiveStream[];
}

/**
 * Redraws the lines of `source()` in place on a terminal: cursor up over the previous drawing, then
 * each line cleared and rewritten. Owns an unref'd interval, so it never keeps the process alive.
 */
export class LiveView {
  readonly #stream: LiveStream;
  readonly #source: () => string[];
  readonly #intervalMs: number;
  readonly #shared: LiveStream[];
  #handle: ReturnType<typeof setInterval> | null = null;
  #write: (text: string) => void;
  #unhook: (() => void)[] = [];
  #lines: string[] = [];
  #drawn = 0;
  /** Text written by others that did not end a line: drawing now would clear it, so wait. */
  #partial = false;
  /** Redraws skipped for the current partial line: after one, it is ended for them (see draw()). */
  #waited = 0;

  constructor(stream: LiveStream, source: () => string[], options: LiveViewOptions | number = {}) {
    const o = typeof options === 'number' ? { intervalMs: options } : options;
    this.#stream = stream;
    this.#source = source;
    this.#intervalMs = Math.max(LIVE_MIN_INTERVAL_MS, o.intervalMs ?? LIVE_MIN_INTERVAL_MS);
    this.#shared = o.shared ?? [];
    this.#write = (text) => { stream.write(text); };
  }

  get running(): boolean { return this.#handle !== null; }

  start(): this {
    if (this.#handle) return this;
    const own = this.#stream.write;
    this.#write = (text) => { own.call(this.#stream, text); };
    for (const s of [this.#stream, ...this.#shared]) this.#hook(s);
    this.draw();
    this.#handle = setInterval(() => this.draw(), this.#intervalMs);
    this.#handle.unref();
    return this;
  }

  /**
   * Writes the current lines over the previous ones. A source that throws leaves the last drawing.
   * A partial line (a route's `process.stdout.write('.')`) gets one redraw interval to be finished;
   * if it is still open at the next redraw, it is ended with a newline and the lines drawn below it,
   * so a route that never ends its line cannot freeze the view.
   */
  draw(): void {
    try {
      this.#lines = this.#source();
    } catch {
      return;
    }
    if (this.#partial && this.#waited++ === 0) return;
    this.#endPartial();
    this.#render();
  }

  #endPartial(): void {
    if (this.#partial) this.#write('\n');
    this.#partial = false;
    this.#waited = 0;
  }

  #render(): void {
    const lines = this.#lines;
    let text = this.#drawn ? `${CSI}${this.#drawn}A` : '';
    for (const line of lines) text += `\r${CSI}2K${fit(line, this.#stream.columns)}\n`;
    // Fewer lines than last time: clear what is left below.
    if (lines.length < this.#drawn) text += `${CSI}J`;
    this.#drawn = lines.length;
    this.#write(text);
  }

  #erase(): void {
    if (this.#drawn) this.#write(`${CSI}${this.#drawn}A\r${CSI}J`);
    this.#drawn = 0;
  }

  /** Routes others' writes to `target` above the live lines. */
  #hook(target: LiveStream): void {
    const original = target.write as Write;
    const hooked: Write = (chunk, ...rest) => {
      this.#erase();
      const result = original.call(target, chunk, ...rest);
      const last = typeof chunk === 'string' ? chunk.at(-1) : chunk instanceof Uint8Array ? String.fromCharCode(chunk.at(-1) ?? 0) : undefined;
      if (last !== undefined) {
        const partial = last !== '\n';
        if (partial && !this.#partial) this.#waited = 0; // a new partial line: it gets its own wait
        this.#partial = partial;
      }
      if (!this.#partial) this.#render();
      return result;
    };
    target.write = hooked as LiveStream['write'];
    // Put back only our own wrapper: someone who wrapped write after us keeps theirs.
    this.#unhook.push(() => { if (target.write === hooked) target.write = original as LiveStream['write']; });
  }

  /**
   * Stops redrawing and erases the live lines, so the summary that follows stands alone: a partial
   * line left by a route is ended first, so the summary does not start on it. Idempotent.
   */
  stop(): void {
    if (this.#handle) clearInterval(this.#handle);
    this.#handle = null;
    for (const unhook of this.#unhook.splice(0)) unhook();
    if (this.#partial) this.#endPartial();
    else this.#erase();
  }
}
