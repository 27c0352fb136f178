import type { LatencyJSON, LatencyThreadJSON } from './report.js';

// A few hundred lines of SVG need no plotting library: vega (the bench's charts) is a devDependency of
// megabytes, and a shipped CLI must not pull it in. This writes plain SVG 1.1 from the JSON summary.

const W = 960;
const PANEL_H = 300;
const M = { left: 70, right: 230, top: 48, bottom: 46 };
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const f = (v: number) => (Math.round(v * 10) / 10).toString();

interface Axis { lo: number; hi: number }

/** Decades of µs that hold every positive value (at least one decade; values below 0.1 µs sit on 0.1). */
function logAxis(values: number[]): Axis {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.max(0.1, Math.min(...pos, 1))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos, 1))));
  return { lo, hi };
}

function yOf(v: number, a: Axis, top: number): number {
  const l = Math.log10(Math.max(v, 10 ** a.lo));
  return top + PANEL_H - ((l - a.lo) / (a.hi - a.lo)) * PANEL_H;
}

function yGrid(a: Axis, top: number, x0: number, x1: number): string {
  let s = '';
  for (let d = a.lo; d <= a.hi; d++) {
    const y = f(yOf(10 ** d, a, top));
    const text = 10 ** d >= 1 ? (10 ** d).toLocaleString('en-US') : String(10 ** d);
    s += `<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#ddd"/>`;
    s += `<text x="${x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${text}</text>`;
  }
  return s;
}

const nines = (p: number) => -Math.log10(1 - p / 100);

function legend(threads: LatencyThreadJSON[], x: number, top: number): string {
  return threads.map((t, i) => {
    const y = top + 14 + i * 18;
    const dash = t.kind === 'floor' ? ' stroke-dasharray="5 3"' : '';
    return `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${dash}/>` +
      `<text x="${x + 30}" y="${y}" dominant-baseline="middle">${escapeXml(`T:${i} ${t.label}`)}</text>`;
  }).join('');
}

/**
 * Two panels: lateness over time (mean per bin as a line, max per bin as dots) and its distribution
 * (percentiles on a "nines" axis), both µs on a log scale; one colour per row, the floor dashed.
 */
export function renderSvg(report: LatencyJSON): string {
  const threads = Object.values(report.thread);
  const x0 = M.left, x1 = W - M.right;
  const top1 = M.top, top2 = M.top + PANEL_H + M.bottom + M.top;
  const H = top2 + PANEL_H + M.bottom;
  const all = threads.flatMap((t) => [...t.timeline.max, ...t.timeline.mean, ...t.percentiles.map((p) => p[1])].filter((v): v is number => v !== null));
  const a = logAxis(all);

  // Panel 1: over time.
  const span = Math.max(report.duration_s, ...threads.map((t) => (t.timeline.mean.length * t.timeline.bin_ms) / 1000), 1e-3);
  const xt = (s: number) => x0 + (s / span) * (x1 - x0);
  let p1 = '';
  threads.forEach((t, i) => {
    const c = COLORS[i % COLORS.length];
    const dash = t.kind === 'floor' ? ' stroke-dasharray="5 3"' : '';
    const at = (j: number) => ((j + 0.5) * t.timeline.bin_ms) / 1000;
    // A bin with no sample breaks the line.
    const runs: string[][] = [[]];
    t.timeline.mean.forEach((v, j) => {
      if (v === null) { runs.push([]); return; }
      runs[runs.length - 1].push(`${f(xt(at(j)))},${f(yOf(v, a, top1))}`);
    });
    for (const r of runs) if (r.length) p1 += `<polyline fill="none" stroke="${c}" stroke-width="1.5"${dash} points="${r.join(' ')}"/>`;
    t.timeline.max.forEach((v, j) => {
      if (v !== null) p1 += `<circle cx="${f(xt(at(j)))}" cy="${f(yOf(v, a, top1))}" r="1.6" fill="${c}" fill-opacity="0.6"/>`;
    });
  });
  let xTicks1 = '';
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400].find((s) => span / s <= 10) ?? 86400;
  for (let s = 0; s <= span + 1e-9; s += step) {
    xTicks1 += `<line x1="${f(xt(s))}" y1="${top1 + PANEL_H}" x2="${f(xt(s))}" y2="${top1 + PANEL_H + 4}" stroke="#333"/>` +
      `<text x="${f(xt(s))}" y="${top1 + PANEL_H + 16}" text-anchor="middle">${s}</text>`;
  }

  // Panel 2: distribution.
  const maxNines = 5;
  const xp = (p: number) => x0 + (Math.min(nines(p), maxNines) / maxNines) * (x1 - x0);
  let p2 = '';
  threads.forEach((t, i) => {
    const c = COLORS[i % COLORS.length];
    const dash = t.kind === 'floor' ? ' stroke-dasharray="5 3"' : '';
    const pts = t.percentiles.filter(([p]) => p < 100).map(([p, v]) => `${f(xp(p))},${f(yOf(v, a, top2))}`);
    if (t.cycles > 0) p2 += `<polyline fill="none" stroke="${c}" stroke-width="1.5"${dash} points="${pts.join(' ')}"/>`;
  });
  let xTicks2 = '';
  for (const [p, text] of [[0, '0'], [90, '90'], [99, '99'], [99.9, '99.9'], [99.99, '99.99'], [99.999, '99.999']] as const) {
    xTicks2 += `<line x1="${f(xp(p))}" y1="${top2}" x2="${f(xp(p))}" y2="${top2 + PANEL_H}" stroke="#eee"/>` +
      `<text x="${f(xp(p))}" y="${top2 + PANEL_H + 16}" text-anchor="middle">${text}</text>`;
  }

  const title = `rtimer latency: ${report.duration_s} s, ${report.sysinfo.cpu} x${report.sysinfo.cpus}, ${report.sysinfo.sysname} ${report.sysinfo.release}, Node ${report.sysinfo.node}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<title>${escapeXml(title)}</title>
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${x0}" y="18" font-size="13" font-weight="bold">${escapeXml(title)}</text>
<text x="${x0}" y="${top1 - 8}">${escapeXml('Lateness at route entry over time, µs (log): mean per bin (line), max per bin (dots)')}</text>
<g>${yGrid(a, top1, x0, x1)}</g>
<g>${p1}</g>
<rect x="${x0}" y="${top1}" width="${x1 - x0}" height="${PANEL_H}" fill="none" stroke="#333"/>
<g>${xTicks1}</g>
<text x="${(x0 + x1) / 2}" y="${top1 + PANEL_H + 32}" text-anchor="middle">seconds since start</text>
<g>${legend(threads, x1 + 16, top1)}</g>
<text x="${x0}" y="${top2 - 8}">${escapeXml('Distribution: lateness at each percentile, µs (log)')}</text>
<g>${yGrid(a, top2, x0, x1)}</g>
<g>${xTicks2}</g>
<g>${p2}</g>
<rect x="${x0}" y="${top2}" width="${x1 - x0}" height="${PANEL_H}" fill="none" stroke="#333"/>
<text x="${(x0 + x1) / 2}" y="${top2 + PANEL_H + 32}" text-anchor="middle">percentile</text>
<g>${legend(threads, x1 + 16, top2)}</g>
</svg>
`;
}
