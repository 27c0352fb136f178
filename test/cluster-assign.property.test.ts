import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assignTasks } from '../lib/cluster/assign.js';

const names = fc.uniqueArray(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 12 });

/** Tasks a leave may move besides the leaver's own: 4·⌈ntasks/(nodes−1)⌉ (the README's bound; 20,000 runs found at most 3·). */
const otherMovesBound = (ntasks: number, nodes: number) => 4 * Math.ceil(ntasks / (nodes - 1));

describe('cluster: rendezvous assignment with bounded load (property)', () => {
  it('gives every task exactly one owner among the members, no node more than ⌈tasks/nodes⌉, none fewer than ⌊tasks/nodes⌋', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), names, fc.integer({ min: 0, max: 2000 }), (timer, nodes, ntasks) => {
      const { nodes: sorted, owner } = assignTasks(timer, nodes, ntasks);
      assert.deepEqual(sorted, [...nodes].sort());
      assert.equal(owner.length, ntasks);
      const count = new Array(sorted.length).fill(0);
      for (const o of owner) { assert.ok(o < sorted.length); count[o]++; }
      const floor = Math.floor(ntasks / nodes.length);
      for (const c of count) assert.ok(c === floor || c === floor + 1, `count ${c}, floor ${floor}`);
    }), { numRuns: 150 });
  });

  it('is the same table whatever order the members are listed in', () => {
    fc.assert(fc.property(names, fc.integer({ min: 1, max: 500 }), (nodes, ntasks) => {
      const a = assignTasks('t', nodes, ntasks);
      const b = assignTasks('t', [...nodes].reverse(), ntasks);
      assert.deepEqual([...a.owner], [...b.owner]);
    }), { numRuns: 200 });
  });

  it('a member leaving moves its own tasks and at most 4·⌈tasks/(nodes−1)⌉ others', () => {
    fc.assert(fc.property(names.filter((n) => n.length >= 2), fc.integer({ min: 1, max: 2000 }), fc.nat(), (nodes, ntasks, pick) => {
      const before = assignTasks('dbsync', nodes, ntasks);
      const leaver = before.nodes[pick % before.nodes.length];
      const after = assignTasks('dbsync', nodes.filter((n) => n !== leaver), ntasks);
      let others = 0;
      for (let t = 0; t < ntasks; t++) {
        const was = before.nodes[before.owner[t]];
        if (was !== leaver && after.nodes[after.owner[t]] !== was) others++;
      }
      assert.ok(others <= otherMovesBound(ntasks, nodes.length), `${others} other tasks moved (${nodes.length} nodes, ${ntasks} tasks)`);
    }), { numRuns: 150 });
  });

  it('spreads 6 slices over 3 nodes two each (plain HRW left a node without any)', () => {
    const { owner } = assignTasks('shaper', ['a', 'b', 'c'], 6);
    assert.deepEqual([0, 1, 2].map((i) => owner.filter((o) => o === i).length), [2, 2, 2]);
  });
});
