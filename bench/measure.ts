import hdr from 'hdr-histogram-js';

/**
 * What one candidate did in one run: per callback, its tick number and lateness (ns) at route entry,
 * i.e. `process.hrtime.bigint()` on the callback's first line minus the candidate's own ideal time.
 */
export interface Trace {
  candidate: string;
  intervalNs: number;
  durationMs: number;
  ticks: number[];
  lateNs: number[];
  /** node-rtimer only: the engine's own lateness per callback (`ctx.started − ctx.scheduled`). */
  engineLateNs?: number[];
  cpuNs: number;
  wallNs: number;
  /** Ticks the candidate itself counted as missed, where it counts them. */
  countedMissed?: number;
  /** Ticks due in the run, where it is not durationMs / intervalNs (many timers). */
  expected?: number;
  note?: string;
}

export interface Figures {
  candidate: string;
  executed: number;
  expected: number;
  missed: number;
  p50: number; p99: number; p999: number; max: number;
  intervalDevP99: number;
  driftNs: number;
  cpuPct: number;
  /** The engine's own lateness, where the candidate reports one (NaN otherwise). */
  engineP50: number; engineP99: number; engineP999: number;
  /** Per call, route entry minus the engine's `started` (NaN without an engine figure): median. */
  gapP50: number;
  note?: string;
}

export function histogram(values: number[]) {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e12, numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(Math.max(1, Math.round(v)));
  return h;
}

const median = (a: number[]) => {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};

/** Lateness percentiles, interval deviation, drift (median lateness of the last 10% minus the first 10%), CPU. */
export function figures(t: Trace): Figures {
  const h = histogram(t.lateNs);
  const dev: number[] = [];
  for (let i = 1; i < t.ticks.length; i++) {
    if (t.ticks[i] === t.ticks[i - 1] + 1) dev.push(Math.abs(t.lateNs[i] - t.lateNs[i - 1]));
  }
  const tenth = Math.max(1, Math.floor(t.lateNs.length / 10));
  const expected = t.expected ?? Math.floor((t.durationMs * 1e6) / t.intervalNs);
  const engine = t.engineLateNs?.length ? histogram(t.engineLateNs) : null;
  const at = (p: number) => (engine ? engine.getValueAtPercentile(p) : NaN);
  const gaps = t.engineLateNs?.length ? t.lateNs.map((v, i) => v - t.engineLateNs![i]) : [];
  return {
    candidate: t.candidate,
    executed: t.lateNs.length,
    expected,
    missed: t.countedMissed ?? Math.max(0, expected - t.lateNs.length),
    p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), p999: h.getValueAtPercentile(99.9), max: h.maxValue,
    intervalDevP99: dev.length ? histogram(dev).getValueAtPercentile(99) : NaN,
    driftNs: median(t.lateNs.slice(-tenth)) - median(t.lateNs.slice(0, tenth)),
    cpuPct: t.wallNs > 0 ? (100 * t.cpuNs) / t.wallNs : 0,
    engineP50: at(50), engineP99: at(99), engineP999: at(99.9), gapP50: gaps.length ? median(gaps) : NaN,
    note: t.note,
  };
}

/** Median of each numeric figure over repeated runs, with the spread (min..max) of p50 and p99. */
export function combine(runs: Figures[]): Figures & { runs: number; p50Spread: [number, number]; p99Spread: [number, number] } {
  const pick = (k: keyof Figures) => median(runs.map((r) => r[k] as number));
  return {
    candidate: runs[0].candidate, note: runs[0].note, runs: runs.length,
    executed: pick('executed'), expected: pick('expected'), missed: pick('missed'),
    p50: pick('p50'), p99: pick('p99'), p999: pick('p999'), max: pick('max'),
    intervalDevP99: pick('intervalDevP99'), driftNs: pick('driftNs'), cpuPct: pick('cpuPct'),
    engineP50: pick('engineP50'), engineP99: pick('engineP99'), engineP999: pick('engineP999'), gapP50: pick('gapP50'),
    p50Spread: [Math.min(...runs.map((r) => r.p50)), Math.max(...runs.map((r) => r.p50))],
    p99Spread: [Math.min(...runs.map((r) => r.p99)), Math.max(...runs.map((r) => r.p99))],
  };
}
