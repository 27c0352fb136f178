import type { SchedulerClock } from '../../lib/schedule/shared-scheduler.js';

/** A clock the test moves by hand; `advance()` fires the armed timer whenever its delay has passed. */
export class FakeClock implements SchedulerClock {
  t = 1_000_000_000n;
  armed: { at: bigint; fn: () => void } | null = null;
  arms = 0;
  /** Every delay asked for, in ms, as Node's setTimeout would get it. */
  delays: number[] = [];

  now = (): bigint => this.t;

  setTimer = (ms: number, fn: () => void) => {
    const h = { at: this.t + BigInt(ms) * 1_000_000n, fn, unref() {}, ref() {} };
    this.armed = h;
    this.arms++;
    this.delays.push(ms);
    return h;
  };

  clearTimer = (h: unknown) => { if (this.armed === h) this.armed = null; };

  /** Moves time forward by `ns`, firing the armed timer (possibly several times) as it comes due. */
  advance(ns: bigint, lateBy = 0n): void {
    const end = this.t + ns;
    while (this.armed && this.armed.at <= end) {
      const h = this.armed;
      this.armed = null;
      this.t = h.at + lateBy;
      h.fn();
    }
    if (this.t < end) this.t = end;
  }
}
