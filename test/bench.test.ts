import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nanotimerDue, runJob } from '../bench/child.js';
import { Recorder } from '../bench/recorder.js';
import { runNode } from './support/run.js';

// The benchmark is not run by CI; these run its smallest pieces so its code cannot rot. No figure is
// checked against a bound: only that each candidate is measured at route entry the same way.
describe('bench smoke test', function () {
  this.timeout(60_000);

  it('runs the scale scenarios (5, 6) shortened and writes results.json, results.md and a chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rtimer-bench-smoke-'));
    try {
      const r = await runNode(['--import', 'tsx', 'bench/main.ts', '--quick', '--scenarios', '5,6', '--duration', '0.5', '--out', out],
        { timeoutMs: 50_000 });
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      assert.equal(json.sections.length, 3);
      const [host, scale, inPhase] = json.sections;
      // The host's own stalls, probed before and after the scenarios by a C spin (bench/host-stalls.c).
      assert.match(host.title, /^0\. the host/);
      assert.deepEqual(host.extra.map((x: { when: string }) => x.when), ['before', 'after'], JSON.stringify(host));
      for (const x of host.extra) assert.ok(x['largest gap µs'] > 0 && x['p99 µs'] >= 0 && x['gaps > 5 µs /s'] >= x['gaps > 50 µs /s'], JSON.stringify(x));
      assert.deepEqual(scale.rows.map((x: { candidate: string }) => x.candidate), ['rtimer-scale', 'setInterval-scale']);
      for (const row of scale.rows) assert.ok(row.executed > 100 && row.p50 > 0, JSON.stringify(row));
      // The engine's figure is node-rtimer's alone, and the route never starts before the engine does.
      const [rt, si] = scale.rows;
      assert.ok(rt.engineP50 > 0 && rt.p50 >= rt.engineP50 && rt.p99 >= rt.engineP99, JSON.stringify(rt));
      assert.equal(si.engineP50, null, 'setInterval has no engine figure (NaN in JSON is null)');

      assert.match(inPhase.title, /^6\. scale: 1,000 × 20 ms inline timers, in phase/);
      const phased = inPhase.rows.find((x: { candidate: string }) => x.candidate === 'rtimer-1000-in-phase');
      assert.ok(phased && phased.executed > 1000 && phased.p50 > 0 && phased.cpuPct > 0, JSON.stringify(phased));
      assert.match(phased.note, /anchors span \d+ µs/);
      // Spread is either run for real (once inline timers take a phase) or reported as not possible.
      const spread = inPhase.rows.find((x: { candidate: string }) => x.candidate === 'rtimer-1000-spread');
      assert.ok(spread || inPhase.skipped.some((s: string) => /^rtimer-1000-spread: not yet possible/.test(s)), JSON.stringify(inPhase.skipped));

      assert.ok(json.machine.cores >= 1 && json.machine.node === process.version && json.machine.cpu && json.machine.kernel);
      const md = readFileSync(join(out, 'results.md'), 'utf8');
      assert.match(md, /\| rtimer-scale \|/);
      assert.match(md, /engine p50\/p99 µs/);
      assert.match(md, /at route entry/);
      const svg = readdirSync(out).find((f) => f.endsWith('.svg'));
      assert.ok(svg && readFileSync(join(out, svg), 'utf8').startsWith('<svg'));
      assert.match(r.stderr, /\[1\] host stalls \(before\)\n\[2\] 5\. scale/, 'progress is shown');
      assert.match(r.stdout, /node-rtimer benchmark on .+ cores, .+ Node v/, 'the machine is named');
    } finally {
      if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    }
  });

  it('measures every in-process candidate at route entry; node-rtimer also gives the engine figure', async () => {
    const engineFor = new Set(['rtimer', 'rtimer-precision', 'rtimer-process']);
    for (const candidate of ['rtimer', 'rtimer-precision', 'rtimer-process', 'setInterval', 'setTimeout-corrected', 'nanotimer', 'busy-spin']) {
      const t = await runJob({ candidate, intervalNs: 1_000_000, durationMs: 200 });
      assert.ok(t.lateNs.length > 10, `${candidate}: ${t.lateNs.length} calls`);
      assert.ok(t.lateNs.every((v) => Number.isFinite(v)), candidate);
      if (!engineFor.has(candidate)) {
        assert.equal(t.engineLateNs, undefined, candidate);
        continue;
      }
      assert.equal(t.engineLateNs?.length, t.lateNs.length, candidate);
      // The route's first line runs after the engine took `started`: per call, route ≥ engine.
      const before = t.lateNs.findIndex((v, i) => v < t.engineLateNs![i]);
      assert.equal(before, -1, `${candidate}: route entry ${t.lateNs[before]} ns < engine ${t.engineLateNs![before]} ns`);
    }
  });

  it('anchors nanotimer on its own schedule: intervalT1 + intervalTime × intervalCount', () => {
    assert.equal(nanotimerDue({ intervalT1: [2, 500], intervalTime: 1_000_000, intervalCount: 3 }), 2_000_000_500n + 3_000_000n);
    assert.equal(nanotimerDue({ intervalT1: [0, 0], intervalTime: 20_000_000, intervalCount: 1 }), 20_000_000n);
  });

  it('records lateness against the ideal time given, the engine figure only when given, and grows past its capacity', () => {
    const rec = new Recorder(0);
    const sent: [number, bigint][] = [];
    rec.onTick = (tick, due) => sent.push([tick, due]);
    rec.record(1, 1_500n, 1_000n, 1_200n);
    for (let k = 2; k <= 3000; k++) rec.record(k, BigInt(k) * 1000n + 7n, BigInt(k) * 1000n, BigInt(k) * 1000n + 3n);
    assert.equal(rec.count, 3000);
    assert.deepEqual(rec.late.slice(0, 2), [500, 7]);
    assert.deepEqual(rec.engine!.slice(0, 2), [200, 3]);
    assert.deepEqual(rec.ticks.slice(-1), [3000]);
    assert.deepEqual(sent[0], [1, 1_000n], 'the RTP sender gets the ideal time, not the late one');
    const plain = new Recorder(10);
    plain.record(1, 2_000n, 1_000n);
    assert.equal(plain.engine, undefined);
  });

  it('bench:quick prints route-entry p50/p99/p99.9/max with the engine figure beside it, for each mode and interval', async () => {
    const r = await runNode(['bench/quick.mjs', '--seconds', '0.3'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const col of ['p50', 'p99', 'p99.9', 'max']) assert.ok(r.stdout.includes(`${col} µs route / engine`), col);
    for (const row of ['1ms default', '1ms precision', '20ms default', '20ms precision']) {
      assert.match(r.stdout, new RegExp(`'${row}'[^\\n]*'\\d+\\.\\d / \\d+\\.\\d'`), row);
    }
    assert.match(r.stdout, /x\d+, Linux .+, Node v/, 'the machine is named');
  });
});
