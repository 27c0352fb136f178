import assert from 'node:assert/strict';
import { formatSummary } from '../lib/cli/summary.js';
import type { TimerStats } from '../lib/index.js';
import { Histogram } from '../lib/stats/histogram.js';

describe('rtimer run summary', () => {
  it('has a paused column, so executions + missed + paused = ticks can be read off each row', () => {
    const lateness = new Histogram();
    lateness.record(5_000);
    const s = { name: 'q', mode: 2, intervalUs: 100_000, ticks: 70, executions: 44, missed: 0, paused: 26, errors: 0,
      routeCalls: 44, triggered: 0, lateness, duration: new Histogram() } as unknown as TimerStats;
    const [head, row] = formatSummary([s]).trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));
    const at = (k: string) => Number(row[head.indexOf(k)]);
    assert.ok(head.includes('paused'), head.join('|'));
    assert.equal(at('executions') + at('missed') + at('paused'), at('ticks'));
  });
});
