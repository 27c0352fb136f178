import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from './support/run.js';

// The benchmark is not run by CI; this runs its smallest scenario so its code cannot rot.
describe('bench smoke test', function () {
  this.timeout(60_000);
  it('runs the scale scenario in quick mode and writes results.json, results.md and a chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rtimer-bench-smoke-'));
    try {
      const r = await runNode(['--import', 'tsx', 'bench/main.ts', '--quick', '--scenarios', '5', '--out', out], { timeoutMs: 50_000 });
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      const rows = json.sections[0].rows;
      assert.deepEqual(rows.map((x: { candidate: string }) => x.candidate), ['rtimer-scale', 'setInterval-scale']);
      for (const row of rows) assert.ok(row.executed > 100 && row.p50 > 0, JSON.stringify(row));
      assert.ok(json.machine.cores >= 1 && json.machine.node === process.version);
      assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /\| rtimer-scale \|/);
      const svg = readdirSync(out).find((f) => f.endsWith('.svg'));
      assert.ok(svg && readFileSync(join(out, svg), 'utf8').startsWith('<svg'));
      assert.match(r.stderr, /\[1\] 5\. scale/, 'progress is shown');
    } finally {
      if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    }
  });
});
