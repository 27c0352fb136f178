// SVG charts through vega-lite + vega (rendered headless, no browser).
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Trace } from './measure.js';
import { histogram } from './measure.js';

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

const PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

/** Lateness (µs, log) against percentile, spread as 1/(1-p) on a log axis like HdrHistogram plots. */
export function percentileChart(title: string, traces: Trace[]): Promise<string> {
  const values = traces.filter((t) => t.lateNs.length).flatMap((t) => {
    const h = histogram(t.lateNs);
    return PERCENTILES.map((p) => ({ candidate: t.candidate, percentile: p, x: 1 / (1 - p / 100), lateUs: Math.max(0.1, h.getValueAtPercentile(p) / 1000) }));
  });
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: 640, height: 360, data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: 'percentile (1/(1-p): 2 = p50, 100 = p99, 1000 = p99.9)' },
      y: { field: 'lateUs', type: 'quantitative', scale: { type: 'log' }, title: 'lateness (µs, log)' },
      color: { field: 'candidate', type: 'nominal' },
      tooltip: [{ field: 'candidate' }, { field: 'percentile' }, { field: 'lateUs' }],
    },
  });
}

/** Lateness over the run: a drifting timer climbs, a drift-free one stays flat. */
export function overTimeChart(title: string, traces: Trace[]): Promise<string> {
  const values = traces.filter((t) => t.ticks.length).flatMap((t) => {
    const step = Math.max(1, Math.floor(t.lateNs.length / 600));
    const out = [];
    for (let i = 0; i < t.lateNs.length; i += step) {
      out.push({ candidate: t.candidate, seconds: (t.ticks[i] * t.intervalNs) / 1e9, lateUs: Math.max(0.1, t.lateNs[i] / 1000) });
    }
    return out;
  });
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: 640, height: 360, data: { values },
    mark: { type: 'line', strokeWidth: 1 },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'time since start (s)' },
      y: { field: 'lateUs', type: 'quantitative', scale: { type: 'log' }, title: 'lateness (µs, log)' },
      color: { field: 'candidate', type: 'nominal' },
    },
  });
}
