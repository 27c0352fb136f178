import { parseDurationMs } from '../config/interval.js';
import { checkRepeats, CliUsageError, parseStrict } from './args.js';
import { LATENCY_MODES, type LatencyMode } from '../latency/protocol.js';
import type { LatencyOptions } from '../latency/run.js';

export const MAX_INTERVALS = 8;
export const MIN_INTERVAL_NS = 100_000;
export const MAX_INTERVAL_NS = 1_000_000_000;
export const MIN_DURATION_MS = 1000;
export const MAX_DURATION_MS = 86_400_000;
export const MAX_HISTOGRAM = 100_000;

export const LATENCY_USAGE = `usage:
  rtimer latency [--interval 1ms,20ms] [--mode default,precision,own] [--duration 30s] [--histogram N]
                 [--json] [--svg <file>]

Measures, on this host, how late a route starts: one inline timer per interval and mode, each in its
own process, its route taking process.hrtime.bigint() on its first line - ctx.scheduled; beside them,
per interval, a native thread doing what cyclictest does (clock_nanosleep, 1 ns slack, no JS): the
floor of this host. Running lines in cyclictest's shape (µs), then a summary and a verdict per row.

options:
  --interval <list>   intervals, comma-separated, 100us..1s (default 1ms,20ms; at most ${MAX_INTERVALS})
  --mode <list>       default (inline), precision (precision: true), own (thread: 'own'); default all three
  --duration <time>   how long (1s..1d, default 30s); Ctrl-C stops earlier and prints the summary
  --histogram <N>     also print cyclictest's -h N histogram: N buckets of 1 µs (1..100000), overflows counted
  --json              print the summary as JSON instead (schema in the README); nothing else on stdout
  --svg <file>        write a plot: lateness over time and its distribution
  -h, --help          print this text

exit status: 0 done (also after Ctrl-C); 1 a row could not start or failed, or the SVG could not be
written; 2 usage error; 130/143 SIGINT/SIGTERM before every row ran
`;

const OPTIONS = {
  interval: { type: 'string' },
  mode: { type: 'string' },
  duration: { type: 'string' },
  histogram: { type: 'string' },
  json: { type: 'boolean' },
  svg: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type LatencyCommand = { command: 'help' } | ({ command: 'latency' } & LatencyOptions);

function list(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliUsageError(`--${flag} "${text}": an empty item`);
  const seen = new Set<string>();
  for (const s of items) {
    if (seen.has(s)) throw new CliUsageError(`--${flag} "${text}": "${s}" given twice`);
    seen.add(s);
  }
  return items;
}

function duration(flag: string, text: string): number {
  try {
    return parseDurationMs(text);
  } catch (err) {
    throw new CliUsageError(`--${flag}: ${(err as Error).message}`);
  }
}

/** `rtimer latency`'s command line (argv after "latency"), checked strictly like the rest of the CLI. */
export function parseLatencyArgs(argv: string[]): LatencyCommand {
  const { values, positionals, tokens } = parseStrict(argv, OPTIONS);
  if (values.help) return { command: 'help' };
  if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
  checkRepeats(tokens);
  const intervals = list('interval', values.interval ?? '1ms,20ms');
  if (intervals.length > MAX_INTERVALS) throw new CliUsageError(`--interval: at most ${MAX_INTERVALS} intervals, got ${intervals.length}`);
  const intervalsNs = intervals.map((s) => {
    const ns = Math.round(duration('interval', s) * 1e6);
    if (!(ns >= MIN_INTERVAL_NS && ns <= MAX_INTERVAL_NS)) throw new CliUsageError(`--interval "${s}": expected 100us..1s`);
    return ns;
  });
  if (new Set(intervalsNs).size !== intervalsNs.length) throw new CliUsageError(`--interval "${values.interval}": the same interval twice`);
  const modes = list('mode', values.mode ?? LATENCY_MODES.join(',')).map((m) => {
    if (!(LATENCY_MODES as readonly string[]).includes(m)) throw new CliUsageError(`--mode "${m}": expected ${LATENCY_MODES.join(', ')}`);
    return m as LatencyMode;
  });
  const durationMs = values.duration === undefined ? 30_000 : duration('duration', values.duration);
  if (!(durationMs >= MIN_DURATION_MS && durationMs <= MAX_DURATION_MS)) {
    throw new CliUsageError(`--duration "${values.duration}": expected 1s..1d`);
  }
  let histogram = 0;
  if (values.histogram !== undefined) {
    if (!/^[0-9]{1,6}$/.test(values.histogram) || !(Number(values.histogram) >= 1 && Number(values.histogram) <= MAX_HISTOGRAM)) {
      throw new CliUsageError(`--histogram "${values.histogram}": expected a number of 1-µs buckets, 1..${MAX_HISTOGRAM}`);
    }
    histogram = Number(values.histogram);
  }
  return { command: 'latency', intervalsNs, modes, durationMs, histogram, json: values.json ?? false,
    ...(values.svg !== undefined ? { svg: values.svg } : {}) };
}
