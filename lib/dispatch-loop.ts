import type { NativeDispatch } from './binding.js';
import { deferRecords } from './stats/histogram.js';

/** What the addon needs to run a batch of due ticks through one call (see native/dispatch_loop.h). */
export interface DispatchLoopHost {
  setDispatchLoop(loop: (n: number) => void, dispatchers: (NativeDispatch | undefined)[], slots: Int32Array,
    ticks: Float64Array, times: BigInt64Array, results: Uint8Array): void;
}

/** Ticks per call into JS; a larger batch takes several calls. */
const CAPACITY = 1024;
const INSTALLED = Symbol.for('node-rtimer.dispatchLoop');
const SYNC = 0, ASYNC = 1, ERROR = 2, STOPPED = 3;

/**
 * Registers this environment's dispatch loop: the engine writes the due ticks of one wake-up into
 * shared arrays and calls it once; it calls each timer's dispatcher in order and writes back when
 * each started and how the call went. A timer stopped by an earlier route of the same batch has
 * left the dispatcher list by then, and is skipped.
 */
export function installDispatchLoop(host: DispatchLoopHost): void {
  // This module can be evaluated twice over one addon (ESM and CommonJS copies of the package):
  // the addon's exports are shared, and its one loop serves both.
  const marked = host as DispatchLoopHost & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  const dispatchers: (NativeDispatch | undefined)[] = [];
  const slots = new Int32Array(CAPACITY);
  const ticks = new Float64Array(CAPACITY);
  const times = new BigInt64Array(2 * CAPACITY);
  const results = new Uint8Array(CAPACITY);
  const hrtime = process.hrtime.bigint;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const dispatch = dispatchers[slots[i]];
      if (dispatch === undefined) { results[i] = STOPPED; continue; }
      const started = hrtime();
      times[2 * i + 1] = started;
      try {
        results[i] = dispatch(ticks[i], times[2 * i], started) === true ? ASYNC : SYNC;
      } catch {
        results[i] = ERROR; // the dispatchers catch route errors themselves: counted as dispatchErrors
      }
    }
  };
  host.setDispatchLoop((n: number) => {
    if (n === 1) run(1);
    else deferRecords(() => run(n));
  }, dispatchers, slots, ticks, times, results);
  Object.defineProperty(marked, INSTALLED, { value: true });
}
