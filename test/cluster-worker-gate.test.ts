import assert from 'node:assert/strict';
import { GrantedOnceGate, workerGate } from '../lib/cluster/worker-gate.js';
import { parseToWorker, TAG } from '../lib/process/protocol.js';
import type { TimerConfig } from '../lib/config/types.js';

const MS = 1_000_000n;
const now = () => process.hrtime.bigint();
const timer = (over: Partial<TimerConfig>): TimerConfig => ({
  name: 't', mode: 2, interval: 100, unit: 'ms', intervalUs: 100_000, routes: ['R'], ntasks: 0, nslices: 1, policy: 'skip', maxBurst: 10,
  precision: null, thread: 'shared', realtime: {}, stagger: false, phaseUs: 0, ...over,
} as TimerConfig);

describe('mode=N cluster workers: what a grant lets them run', () => {
  it("'once': only ticks the parent claimed in its term, only before the run-until deadline; past it fenced, then nothing until a new grant", () => {
    const gate = new GrantedOnceGate(timer({ cluster: 'once' }), { node: 'a', base: 1000 });
    assert.equal(gate.number(5), 1005);
    assert.equal(gate.admit(1005), false, 'no grant yet');
    gate.apply({ runUntil: now() + 10_000n * MS, role: 'leader', term: 7, from: 1005, to: 1009 });
    assert.deepEqual([1004, 1005, 1009, 1010].map((n) => gate.admit(n)), [false, true, true, false]);
    assert.equal(gate.still(1005), true);
    assert.deepEqual(gate.view(1005).cluster, { node: 'a', role: 'leader', term: 7 });
    assert.deepEqual(gate.counts(), { standby: 3, fenced: 0, rebalanced: 0 });
    // The parent froze: its last deadline passed.
    gate.apply({ runUntil: now() - 1n, role: 'leader', term: 7, from: 1005, to: 1009 });
    assert.equal(gate.admit(1006), false);
    assert.equal(gate.counts().fenced, 1);
    assert.equal(gate.admit(1007), false);
    assert.deepEqual(gate.counts(), { standby: 4, fenced: 1, rebalanced: 0 }, 'fenced once, then it holds nothing');
    // A deadline that passes between prepare and call.
    gate.apply({ runUntil: now() + 10_000n * MS, role: 'leader', term: 8, from: 1008, to: 1008 });
    assert.equal(gate.admit(1008), true);
    gate.apply({ runUntil: now() - 1n, role: 'leader', term: 8, from: 1008, to: 1008 });
    assert.equal(gate.still(1008), false);
    assert.equal(gate.counts().fenced, 2);
    gate.apply({ runUntil: now() + 10_000n * MS, role: 'member', term: 0, from: 0, to: -1 });
    assert.equal(gate.admit(1008), false);
  });

  it("'slices': the node's tasks are dealt to its workers in turn: together they hold each of the node's tasks once", () => {
    const t = timer({ cluster: 'slices', ntasks: 60, nslices: 3 });
    const members = ['a', 'b'].map((node) => ({ node, instance: node, since: 0 }));
    const grant = { runUntil: now() + 10_000n * MS, role: 'member' as const, term: 0, from: 0, to: -1, members };
    const owned = (node: string, worker: number, workers: number) => {
      const g = workerGate(t, { node, base: 0 }, worker, workers);
      g.apply(grant);
      const tasks: number[] = [];
      for (let n = 3; n < 6; n++) {
        if (!g.admit(n)) continue;
        const { owns } = g.view(n);
        const [x, y] = g.fields(n).taskRange;
        for (let task = x; task < y; task++) if (owns!(task)) tasks.push(task);
      }
      return tasks;
    };
    const a = [owned('a', 0, 2), owned('a', 1, 2)];
    const b = [owned('b', 0, 1)];
    assert.ok(a[0].length > 0 && a[1].length > 0 && Math.abs(a[0].length - a[1].length) <= 1, `${a[0].length} vs ${a[1].length}`);
    assert.deepEqual([...a[0], ...a[1], ...b[0]].sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i));
  });

  it('grants and start messages cross IPC only well-formed', () => {
    const grant = { runUntil: 5n, role: 'leader', term: 3, from: 1, to: 2 };
    assert.ok(parseToWorker({ rtimer: TAG, type: 'cluster', grant }));
    for (const bad of [{ ...grant, runUntil: 5 }, { ...grant, role: 'king' }, { ...grant, to: '2' }, { ...grant, members: [{ node: 1 }] }]) {
      assert.equal(parseToWorker({ rtimer: TAG, type: 'cluster', grant: bad }), null, JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    }
    const start = { rtimer: TAG, type: 'start', token: 'k', routes: 'r', timer: {}, worker: 0, workers: 1, statsIntervalMs: 1000 };
    assert.ok(parseToWorker({ ...start, cluster: { node: 'a', base: 12 } }));
    assert.equal(parseToWorker({ ...start, cluster: { node: 'a', base: 1.5 } }), null);
  });
});
