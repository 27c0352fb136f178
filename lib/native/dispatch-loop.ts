import { deferRecords } from '../stats/histogram.js';
import type { NativeDispatch } from './dispatch.js';

/** What the addon needs to run a batch of due ticks through one call (see native/dispatch_loop.h). */
export interface DispatchLoopHost {
  spinUntil(deadline: bigint): bigint;
  setDispatchLoop(loop: (n: number) => void, dispatchers: (NativeDispatch | undefined)[], slots: Int32Array,
    ticks: Float64Array, times: BigInt64Array, results: Uint8Array): void;
}

/** Ticks per call into JS; a larger batch takes several calls. */
const CAPACITY = 16384;
const INSTALLED = Symbol.for('node-rtimer.dispatchLoop');
const SYNC = 0, ASYNC = 1, ERROR = 2, STOPPED = 3;
/** prepare() found nothing to run (paused, busy, ended: the runtime counted it). */
const NOTHING = Symbol('nothing to run');

/**
 * Registers this environment's dispatch loop: the engine writes the due ticks of one wake-up into
 * shared arrays and calls it once. It works in two passes: first every tick is prepared (each
 * timer's execution and context built, which brings that timer's memory into the cache), then each
 * route is called at its deadline, spinning up to it when the engine handed the tick over early
 * (the event loop does, by about the time the first pass takes). It writes back when each route
 * started and how the call went. A timer stopped by an earlier route of the same batch has left the
 * dispatcher list by then, and is skipped.
 */
export function installDispatchLoop(host: DispatchLoopHost): void {
  // This module can be evaluated twice over one addon (ESM and CommonJS copies of the package):
  // the addon's exports are shared, and its one loop serves both.
  const marked = host as DispatchLoopHost & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  const dispatchers: (NativeDispatch | undefined)[] = [];
  const slots = new Int32Array(CAPACITY);
  const ticks = new Float64Array(CAPACITY);
  // Two per tick (deadline, started), then when the first pass ended: the engine learns from it.
  const times = new BigInt64Array(2 * CAPACITY + 2);
  const results = new Uint8Array(CAPACITY);
  const prepared: unknown[] = new Array(CAPACITY).fill(NOTHING);
  const deadlines: bigint[] = new Array(CAPACITY).fill(0n);
  const hrtime = process.hrtime.bigint;
  // A plain dispatch function's start: now, or its deadline when the tick came early.
  const startAt = (deadline: bigint): bigint => {
    const now = hrtime();
    return now >= deadline ? now : host.spinUntil(deadline);
  };
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const dispatch = dispatchers[slots[i]];
      if (dispatch === undefined) { results[i] = STOPPED; continue; }
      results[i] = SYNC;
      const scheduled = times[2 * i];
      deadlines[i] = scheduled;
      if (dispatch.prepare === undefined) continue; // a plain function (the raw binding): one call in the second pass
      try {
        prepared[i] = dispatch.prepare(ticks[i], scheduled) ?? NOTHING;
      } catch {
        results[i] = ERROR; // the dispatchers catch route errors themselves: counted as dispatchErrors
      }
    }
    times[2 * CAPACITY] = hrtime();
    for (let i = 0; i < n; i++) {
      if (results[i] !== SYNC) continue;
      const prep = prepared[i];
      prepared[i] = NOTHING;
      const dispatch = dispatchers[slots[i]];
      if (dispatch === undefined) { results[i] = STOPPED; continue; } // stopped by a route before it
      const scheduled = deadlines[i];
      try {
        if (dispatch.run === undefined) {
          const started = startAt(scheduled);
          times[2 * i + 1] = started;
          results[i] = dispatch(ticks[i], scheduled, started) === true ? ASYNC : SYNC;
        } else if (prep === NOTHING) {
          times[2 * i + 1] = hrtime(); // skipped: nothing to wait for
        } else {
          // Spins to the deadline itself, on the line before the route, and says when it started.
          results[i] = dispatch.run(prep, scheduled, times, 2 * i + 1) === true ? ASYNC : SYNC;
        }
      } catch {
        results[i] = ERROR;
      }
    }
  };
  host.setDispatchLoop((n: number) => {
    if (n === 1) run(1);
    else deferRecords(() => run(n));
  }, dispatchers, slots, ticks, times, results);
  Object.defineProperty(marked, INSTALLED, { value: true });
}
