import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CliUsageError } from '../lib/cli/args.js';
import { parseLatencyArgs } from '../lib/cli/latency.js';
import { formatHistogram, formatSummary, liveLines } from '../lib/latency/format.js';
import { buildReport, verdict, type LatencyJSON } from '../lib/latency/report.js';
import type { LatencyRow } from '../lib/latency/rows.js';
import { runLatency, type LatencyIo } from '../lib/latency/run.js';
import { LatencySeries, MAX_TIME_BINS } from '../lib/latency/series.js';
import { renderSvg } from '../lib/latency/svg.js';
import { CLI, ROOT, runNode } from './support/run.js';
import { waitFor } from './support/procs.js';

// cyclictest's running line: T:%2d (%5d) P:%2d I:%ld C:%7lu Min:%7ld Act:%5ld Avg:%5ld Max:%8ld
const CYCLICTEST_LINE = /^T:([ \d]\d) \(([ \d]{4}\d+)\) P: 0 I:(\d+) C:([ \d]{6}\d+) Min:([ \d]{6}-?\d+) Act:([ \d]{4}-?\d+) Avg:([ \d]{4}-?\d+) Max:([ \d]{7}-?\d+) {2}(\S+) (default|precision|own|floor)$/;

function row(index: number, intervalNs: number, mode: LatencyRow['mode'], late: number[], buckets = 0, extra: Partial<LatencyRow> = {}): LatencyRow {
  const series = new LatencySeries(buckets);
  late.forEach((ns, i) => series.record(ns, (i + 1) * intervalNs));
  return { index, intervalNs, mode, pid: 4242, series, ticks: late.length, missed: 0, dropped: 0, cpuNs: 1e6, wallNs: 1e8, ...extra };
}

function report(rows: LatencyRow[], buckets = 0): LatencyJSON {
  return buildReport(rows, { version: '9.9.9', cmdline: 'rtimer latency', start: new Date(0), end: new Date(10_000), returnCode: 0, buckets });
}

/** Checks the documented --json schema (README, "rtimer latency"). */
function assertSchema(j: LatencyJSON, threads: number, buckets: number) {
  assert.deepEqual(Object.keys(j), ['file_version', 'tool', 'version', 'cmdline', 'start_time', 'end_time', 'duration_s', 'return_code',
    'sysinfo', 'measure', 'unit', 'histogram_buckets', 'num_threads', 'thread']);
  assert.equal(j.file_version, 1);
  assert.equal(j.unit, 'us');
  assert.equal(j.num_threads, threads);
  assert.equal(j.histogram_buckets, buckets);
  assert.deepEqual(Object.keys(j.thread), [...Array(threads).keys()].map(String));
  for (const t of Object.values(j.thread)) {
    for (const k of ['interval_us', 'pid', 'cycles', 'min', 'avg', 'max', 'p50', 'p90', 'p99', 'p999', 'missed', 'dropped', 'cpu_percent'] as const) {
      assert.equal(typeof t[k], 'number', k);
    }
    assert.ok(t.kind === 'timer' || t.kind === 'floor');
    assert.ok(t.min <= t.p50 && t.p50 <= t.p99 && t.p99 <= t.max + 0.1, JSON.stringify(t));
    assert.equal(t.percentiles.length, 14);
    assert.equal(typeof t.verdict, 'string');
    assert.ok(t.timeline.bin_ms > 0 && t.timeline.mean.length === t.timeline.max.length);
    if (buckets) {
      assert.equal(typeof t.overflows, 'number');
      const inBuckets = Object.values(t.histogram!).reduce((a, b) => a + b, 0);
      assert.equal(inBuckets + t.overflows!, t.cycles, 'every sample in a bucket or an overflow');
    } else {
      assert.equal(t.histogram, undefined);
    }
  }
}

/** Live row processes (dist/latency/child.js) of this process (Linux /proc). */
function latencyChildren(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]) === process.pid && fields[0] !== 'Z' && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('latency/child.js');
    } catch {
      return false;
    }
  }).map(Number);
}

function assertSvg(text: string, rows: number, lines = rows) {
  assert.equal(XMLValidator.validate(text), true, 'well-formed XML');
  const svg = new XMLParser({ ignoreAttributes: false }).parse(text).svg;
  assert.equal(svg['@_xmlns'], 'http://www.w3.org/2000/svg');
  // Two panels (over time, distribution), each with a legend entry per row.
  const legendTexts = (text.match(/>T:\d+ /g) ?? []).length;
  assert.equal(legendTexts, 2 * rows);
  assert.ok((text.match(/<polyline /g) ?? []).length >= lines, 'a line per row with samples');
}

describe('rtimer latency (issue 18)', () => {
  describe('command line', () => {
    it('defaults: 1ms,20ms × default,precision,own for 30s, no histogram, text output', () => {
      assert.deepEqual(parseLatencyArgs([]), { command: 'latency', intervalsNs: [1e6, 20e6], modes: ['default', 'precision', 'own'],
        durationMs: 30_000, histogram: 0, json: false });
      assert.deepEqual(parseLatencyArgs(['--interval', '250us, 1s', '--mode', 'precision', '--duration', '2m', '--histogram', '200', '--json', '--svg', 'a.svg']),
        { command: 'latency', intervalsNs: [250_000, 1e9], modes: ['precision'], durationMs: 120_000, histogram: 200, json: true, svg: 'a.svg' });
      assert.deepEqual(parseLatencyArgs(['-h']), { command: 'help' });
    });

    it('bounded input: each bad value is a usage error that names it', () => {
      const bad: [string[], RegExp][] = [
        [['--interval', '50us'], /--interval "50us": expected 100us\.\.1s/],
        [['--interval', '2s'], /--interval "2s"/],
        [['--interval', '1ms,,2ms'], /an empty item/],
        [['--interval', '1ms,1ms'], /"1ms" given twice/],
        [['--interval', '1ms,1000us'], /the same interval twice/],
        [['--interval', 'fast'], /--interval: invalid duration "fast"/],
        [['--interval', '1,2,3,4,5,6,7,8,9'], /at most 8 intervals/],
        [['--mode', 'turbo'], /--mode "turbo": expected default, precision, own/],
        [['--duration', '500ms'], /--duration "500ms": expected 1s\.\.1d/],
        [['--duration', '2d'], /expected 1s\.\.1d/],
        [['--histogram', '0'], /--histogram "0"/],
        [['--histogram', '1e3'], /--histogram "1e3"/],
        [['--histogram', '100001'], /1\.\.100000/],
        [['--json', '--json'], /--json given twice/],
        [['--svg', ''], /--svg needs a value/],
        [['now'], /unexpected argument "now"/],
        [['--fast'], /Unknown option '--fast'/],
      ];
      for (const [argv, msg] of bad) assert.throws(() => parseLatencyArgs(argv), (e: unknown) => e instanceof CliUsageError && msg.test(e.message), argv.join(' '));
    });

    it('a usage error exits 2 with the latency usage; --help exits 0', async () => {
      const r = await runNode([CLI, 'latency', '--interval', '5s']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'rtimer: --interval "5s": expected 100us..1s\nsee rtimer latency --help\n');
      assert.equal(r.stdout, '');
      const h = await runNode([CLI, 'latency', '--help']);
      assert.equal(h.code, 0);
      assert.match(h.stdout, /--histogram <N>/);
    });
  });

  describe('LatencySeries', () => {
    it('--histogram N: bucket i holds i µs (truncated), N µs and above overflow, with their cycle numbers (at most N)', () => {
      const s = new LatencySeries(3);
      for (const ns of [0, 999, 1000, 1999, 2999, 3000, -5, 50_000, 3001, 2000]) s.record(ns, 0);
      assert.deepEqual([...s.buckets], [3, 2, 2]);
      assert.equal(s.overflows, 3);
      assert.deepEqual(s.overflowCycles, [5, 7, 8]);
      const t = new LatencySeries(2);
      for (let i = 0; i < 5; i++) t.record(10_000, 0);
      assert.deepEqual([t.overflows, t.overflowCycles], [5, [0, 1]], 'cycle numbers kept: as many as buckets, the rest counted');
      assert.equal(new LatencySeries().buckets.length, 0, 'no --histogram, no buckets');
    });

    it('cyclictest\'s figures: cycles, min, act (the last), avg, max', () => {
      const s = new LatencySeries();
      for (const ns of [5000, 3000, 19_000, 4000]) s.record(ns, 0);
      assert.deepEqual([s.count, s.minNs, s.actNs, s.avgNs, s.maxNs], [4, 3000, 4000, 7750, 19_000]);
    });

    it('the timeline stays bounded: bins merge in pairs, keeping each bin\'s max and mean', () => {
      const s = new LatencySeries();
      const n = 5000;
      for (let i = 0; i < n; i++) s.record(i === 4000 ? 1e6 : 1000, i * 1e9); // one sample a second, a spike at 4000 s
      const t = s.timeline();
      assert.ok(t.mean.length <= MAX_TIME_BINS && t.mean.length > MAX_TIME_BINS / 4, `${t.mean.length} bins`);
      assert.ok(t.binNs * t.mean.length >= n * 1e9);
      assert.equal(Math.max(...t.max.filter((v) => !Number.isNaN(v))), 1e6, 'the spike survives the merges');
      const spike = Math.floor(4000e9 / t.binNs);
      assert.equal(t.max[spike], 1e6);
      assert.ok(t.mean[spike] > 1000 && t.mean[spike] < 1e6);
    });
  });

  describe('output', () => {
    const rows = () => [
      row(0, 1e6, 'default', [3000, 5000, 4000, 19_000]),
      row(1, 1e6, 'floor', [2000, 2500]),
      row(2, 20e6, 'precision', [1500, 24_000]),
    ];

    it('live lines in cyclictest\'s shape, µs, one per row, the row named after them', () => {
      const lines = liveLines(rows());
      assert.equal(lines.length, 3);
      const m = lines.map((l) => CYCLICTEST_LINE.exec(l));
      assert.ok(m.every(Boolean), lines.join('\n'));
      assert.deepEqual(m[0]!.slice(1).map((v) => v.trim()), ['0', '4242', '1000', '4', '3', '19', '7', '19', '1ms', 'default']);
      assert.deepEqual(m[2]!.slice(1).map((v) => v.trim()), ['2', '4242', '20000', '2', '1', '24', '12', '24', '20ms', 'precision']);
      assert.equal(lines[0].indexOf('C:'), lines[1].indexOf('C:'), 'aligned');
      assert.match(liveLines([row(0, 1e6, 'own', [], 0, { error: 'x' })])[0], / FAILED$/);
    });

    it('summary: a table row and a verdict per row, the floor beside each timer', () => {
      const text = formatSummary(report(rows()));
      const lines = text.split('\n');
      assert.match(lines[0], /^rtimer latency: 10 s on .+ x\d+, /);
      assert.match(lines[2], /^T +row +cycles +missed +min +p50 +p90 +p99 +p99\.9 +max +avg +CPU %$/);
      assert.match(lines[3], /^0 +1ms default +4 +0 +3\.0 /);
      assert.match(lines[4], /^1 +1ms floor \(C\) +2 /);
      assert.match(text, /\nT: 0 1 ms timers, default: p99 19\.\d µs, 1\.\d% of the interval \(floor p99 2\.\d µs\): fair\n/);
      assert.match(text, /\nT: 1 1 ms timers, host floor \(C clock_nanosleep thread, no JS\): p99 2\.\d µs/);
      assert.match(text, /\nT: 2 20 ms RTP pacing, precision: p99 2\d\.\d µs, 0\.1% of the interval: good\n/);
    });

    it('verdicts: good ≤ 1% of the interval, fair ≤ 10%, poor above or with > 1% of ticks missed', () => {
      assert.match(verdict(row(0, 20e6, 'default', [150_000]), undefined), /: good$/);
      assert.match(verdict(row(0, 20e6, 'default', [1_500_000]), undefined), /: fair$/);
      assert.match(verdict(row(0, 20e6, 'default', [2_500_000]), undefined), /: poor$/);
      assert.match(verdict(row(0, 20e6, 'default', [1000], 0, { ticks: 100, missed: 5 }), undefined), /: poor: 5\.0% of ticks missed$/);
      assert.match(verdict(row(0, 1e9, 'own', []), undefined), /^1 s timers, own: no samples$/);
    });

    it('--histogram: cyclictest\'s -h dump, a column per row', () => {
      const rs = [row(0, 1e6, 'default', [0, 1500, 1700, 9000], 3), row(1, 1e6, 'floor', [2100, 2200], 3)];
      assert.equal(formatHistogram(rs), [
        '# Histogram',
        '000000 000001\t000000',
        '000001 000002\t000000',
        '000002 000000\t000002',
        '# Total: 000000003 000000002',
        '# Min Latencies: 00000 00002',
        '# Avg Latencies: 00003 00002',
        '# Max Latencies: 00009 00002',
        '# Histogram Overflows: 00001 00000',
        '# Histogram Overflow at cycle number:',
        '# Thread 0: 00003',
        '# Thread 1:',
      ].join('\n') + '\n');
    });

    it('--json: the documented schema, with the histogram only when asked', () => {
      assertSchema(report(rows()), 3, 0);
      const withBuckets = report([row(0, 1e6, 'default', [0, 1500, 9000], 5), row(1, 1e6, 'floor', [2100], 5)], 5);
      assertSchema(withBuckets, 2, 5);
      assert.deepEqual(withBuckets.thread['0'].histogram, { 0: 1, 1: 1 });
      assert.deepEqual([withBuckets.thread['0'].overflows, withBuckets.thread['0'].overflow_cycles], [1, [2]]);
    });

    it('--svg: a well-formed SVG with both panels, text escaped', () => {
      const r = report(rows());
      assertSvg(renderSvg(r), 3);
      r.sysinfo.cpu = 'Evil <"&\'> CPU';
      const svg = renderSvg(r);
      assertSvg(svg, 3);
      assert.ok(svg.includes('Evil &lt;&quot;&amp;&apos;&gt; CPU'));
      assertSvg(renderSvg(report([row(0, 1e6, 'own', [])])), 1, 0); // no sample, no line: still well-formed
    });
  });

  describe('runs', function () {
    this.timeout(90_000);
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-latency-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const io = (extra: Partial<LatencyIo> = {}) => {
      const out: string[] = [];
      const err: string[] = [];
      return { out, err, io: { out: (s: string) => { out.push(s); }, err: (s: string) => { err.push(s); }, version: '0', cmdline: 'test', ...extra } };
    };

    it('the CLI with --json and --svg: exit 0, JSON alone on stdout, the SVG written', async () => {
      const svg = join(dir, 'plot.svg');
      const r = await runNode([CLI, 'latency', '--interval', '20ms', '--mode', 'default', '--duration', '1s', '--histogram', '50', '--json', '--svg', svg],
        { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as LatencyJSON;
      assertSchema(j, 2, 50);
      assert.deepEqual(Object.values(j.thread).map((t) => t.label), ['20ms default', '20ms floor']);
      // Order of magnitude only: 1 s at 20 ms is about 50 cycles.
      for (const t of Object.values(j.thread)) assert.ok(t.cycles >= 5 && t.cycles <= 150, `${t.label}: ${t.cycles} cycles`);
      assert.notEqual(j.thread['0'].pid, j.thread['1'].pid, 'the timer runs in its own process');
      assertSvg(readFileSync(svg, 'utf8'), 2);
      assert.match(r.stderr, /wrote .*plot\.svg/);
    });

    it('not on a terminal: plain blocks of live lines while it runs, then the summary and the verdicts', async () => {
      const o = io({ plainEveryMs: 300 });
      const code = await runLatency({ intervalsNs: [20e6], modes: ['precision'], durationMs: 1500, histogram: 0, json: false }, o.io,
        new AbortController().signal);
      assert.equal(code, 0, o.err.join(''));
      const blocks = o.out.slice(0, -1);
      assert.ok(blocks.length >= 1, 'at least one block before the summary');
      for (const b of blocks) {
        const lines = b.trimEnd().split('\n');
        assert.equal(lines.length, 2);
        for (const l of lines) assert.match(l, CYCLICTEST_LINE);
      }
      assert.match(o.out.at(-1)!, /^rtimer latency: .*\nT: 0 20 ms RTP pacing, precision: p99 [\d.]+ µs, .*\nT: 1 20 ms RTP pacing, host floor/s);
    });

    it('on a terminal: the lines are redrawn in place, the last drawing stays above the summary', async () => {
      const writes: string[] = [];
      const o = io({ live: { write: (s: string) => { writes.push(s); } } });
      const code = await runLatency({ intervalsNs: [20e6], modes: ['own'], durationMs: 1000, histogram: 0, json: false }, o.io,
        new AbortController().signal);
      assert.equal(code, 0, o.err.join(''));
      assert.ok(writes.some((w) => w.startsWith('\x1b[2A')), 'cursor up over the previous drawing');
      const last = writes.at(-1)!.trimEnd().split('\n');
      assert.equal(last.length, 2);
      for (const l of last) assert.match(l, CYCLICTEST_LINE);
      assert.ok(!o.out.some((s) => CYCLICTEST_LINE.test(s.split('\n')[0])), 'no plain blocks on a terminal');
    });

    it('an --svg that cannot be written fails at once (exit 1), before anything runs', async () => {
      const r = await runNode([CLI, 'latency', '--svg', join(dir, 'no-such-dir', 'p.svg'), '--duration', '1h']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^rtimer: --svg .*no-such-dir\/p\.svg: cannot write there \(ENOENT/);
      const d = await runNode([CLI, 'latency', '--svg', dir, '--duration', '1h']);
      assert.equal(d.code, 1);
      assert.match(d.stderr, /cannot write there \(is a directory\)/);
    });

    it('interrupted before its rows run: 130, nothing measured, no process left', async () => {
      const stop = new AbortController();
      const o = io();
      const run = runLatency({ intervalsNs: [1e6], modes: ['default', 'own'], durationMs: 60_000, histogram: 0, json: false }, o.io, stop.signal);
      stop.abort('SIGINT');
      assert.equal(await run, 130);
      assert.match(o.err.join(''), /interrupted while the timers started/);
      assert.equal(o.out.length, 0);
      assert.ok(await waitFor(() => latencyChildren().length === 0, 5000), `left: ${latencyChildren().join(', ')}`);
    });

    it('SIGINT once running: the summary and the verdicts, exit 0', async () => {
      const child = spawn(process.execPath, [CLI, 'latency', '--interval', '20ms', '--mode', 'default', '--duration', '1h'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => {
        stderr += d;
        // Printed once every row runs.
        if (/Ctrl-C stops/.test(stderr)) setTimeout(() => child.kill('SIGINT'), 500);
      });
      const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on('close', (c, s) => r([c, s])));
      clearTimeout(kill);
      assert.deepEqual([code, signal], [0, null], stderr);
      assert.match(stdout, /\nT: 0 20 ms RTP pacing, default: /);
      assert.match(stdout, /\nT: 1 20 ms RTP pacing, host floor /);
    });
  });
});
