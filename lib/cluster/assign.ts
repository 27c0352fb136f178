/**
 * Rendezvous (highest-random-weight) hashing with bounded load: which live node runs each task of a
 * `slices` timer. Every node computes the same table from the same member set, with no traffic.
 *
 * Plain HRW can leave a node without tasks (6 tasks over 3 nodes gave one node none in a trial), so
 * each node holds at most ⌈tasks/nodes⌉, floors first: the (task, node) pairs are taken in order of
 * falling weight, and a pair assigns its task if the task has no owner yet and the node holds fewer
 * than ⌊tasks/nodes⌋ tasks, or exactly that many while some of the tasks mod nodes extra places are
 * left. Taking the strongest preferences first keeps a change local: a node leaving moves its own
 * tasks and at most 4·⌈tasks/(nodes−1)⌉ others (test/cluster-assign.property.test.ts; 20,000 random
 * cases moved at most 3·).
 *
 * Each pair is one double (weight 28 bits, task 17, node 8: 53 bits), sorted natively: 100,000
 * tasks over 10 nodes take well under a second, once per change of the member set.
 */

/** Tasks of a `slices` cluster timer at most (the 17 bits of a pair). */
export const MAX_CLUSTER_TASKS = 100_000;
/** Nodes that take tasks at most (the first 256 names in order; the 8 bits of a pair). */
export const MAX_SLICE_NODES = 256;

/** FNV-1a of a string, 32 bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a fast, well-spread 32-bit mix. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight (28 bits) of `task` of a timer (seeded by its name) on a node (seeded by its name). */
function weight(timerSeed: number, nodeSeed: number, task: number): number {
  return mix(nodeSeed ^ mix((timerSeed + Math.imul(task, 0x9e3779b1)) >>> 0)) >>> 4;
}

const TASK_BITS = 2 ** 17;
const NODE_BITS = 2 ** 8;

/**
 * The owner of every task 0..ntasks-1 (at most MAX_CLUSTER_TASKS), as an index into `nodes`
 * (sorted by name, so every node agrees), or an empty table when there are no nodes.
 */
export function assignTasks(timer: string, nodes: readonly string[], ntasks: number): { nodes: string[]; owner: Uint16Array } {
  if (!Number.isInteger(ntasks) || ntasks < 0 || ntasks > MAX_CLUSTER_TASKS) throw new RangeError(`ntasks ${ntasks} out of 0..${MAX_CLUSTER_TASKS}`);
  const sorted = [...new Set(nodes)].sort().slice(0, MAX_SLICE_NODES);
  const n = sorted.length;
  const owner = new Uint16Array(n === 0 ? 0 : ntasks);
  if (n === 0) return { nodes: sorted, owner };
  const seeds = sorted.map(hash32);
  const timerSeed = hash32(timer);
  // Ascending keys; read from the end: highest weight first, ties to the lower task, then node.
  const keys = new Float64Array(ntasks * n);
  let k = 0;
  for (let t = 0; t < ntasks; t++) {
    for (let i = 0; i < n; i++) {
      keys[k++] = (weight(timerSeed, seeds[i], t) * TASK_BITS + (TASK_BITS - 1 - t)) * NODE_BITS + (NODE_BITS - 1 - i);
    }
  }
  keys.sort();
  const floor = Math.floor(ntasks / n);
  let extra = ntasks % n;
  const count = new Uint32Array(n);
  const taken = new Uint8Array(ntasks);
  let left = ntasks;
  for (let j = keys.length - 1; j >= 0 && left > 0; j--) {
    const key = keys[j];
    const i = NODE_BITS - 1 - (key % NODE_BITS);
    const t = TASK_BITS - 1 - (Math.floor(key / NODE_BITS) % TASK_BITS);
    if (taken[t]) continue;
    if (count[i] < floor) count[i]++;
    else if (count[i] === floor && extra > 0) { count[i]++; extra--; }
    else continue;
    taken[t] = 1;
    owner[t] = i;
    left--;
  }
  return { nodes: sorted, owner };
}
