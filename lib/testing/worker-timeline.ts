import { spendNs, type SpendDuration } from '../route/spend.js';
import type { LoopClock, LoopPhase } from '../schedule/simulated-loop.js';

interface Deferred { cancelled: boolean; inner: unknown }

/**
 * One simulated mode=N worker's own time. A real worker is a process of its own: while its route
 * spends, its event loop is blocked, and only its own deadlines wait. So a worker's spend() moves
 * its timeline, never the clock every other worker and the main process run on: the worker is
 * busy until then, and its events that fall due meanwhile run when it is free again, late, as a
 * blocked event loop runs them.
 */
export class WorkerTimeline implements LoopClock {
  /** Until when the worker is busy; behind the shared clock once it is free. */
  #busy = 0n;

  constructor(private readonly shared: LoopClock) {}

  now(): bigint {
    const t = this.shared.now();
    return this.#busy > t ? this.#busy : t;
  }

  spend(d: SpendDuration): void { this.#busy = this.now() + spendNs(d); }

  spinTo(t: bigint): void { if (t > this.now()) this.#busy = t; }

  at(t: bigint, phase: LoopPhase, fn: () => void): unknown {
    const h: Deferred = { cancelled: false, inner: null };
    const run = () => {
      if (h.cancelled) return;
      // Busy since this was queued (a route it triggered spent time): it waits its turn.
      if (this.#busy > this.shared.now()) { h.inner = this.shared.at(this.#busy, phase, run); return; }
      fn();
    };
    h.inner = this.shared.at(t > this.#busy ? t : this.#busy, phase, run);
    return h;
  }

  cancel(handle: unknown): void {
    const h = handle as Deferred;
    h.cancelled = true;
    this.shared.cancel(h.inner);
  }
}
