import type { TimerRuntime } from './runtime.js';

/** What the scheduler needs of time; tests pass a controllable one. */
export interface SchedulerClock {
  now(): bigint;
  setTimer(ms: number, fn: () => void): { unref?(): unknown; ref?(): unknown };
  clearTimer(handle: unknown): void;
  /** A clock that can wake at an exact time (a virtual one) rather than in whole ms. */
  at?(deadline: bigint, fn: () => void): { unref?(): unknown; ref?(): unknown };
}

export const realClock: SchedulerClock = {
  now: process.hrtime.bigint,
  setTimer: (ms, fn) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Node's timers take at most 2^31-1 ms (~24.8 days); a later deadline is reached in steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `anchor`: the timer's own grid (cluster timers, on the wall clock); else the scheduler's start. */
interface Entry { rt: TimerRuntime; interval: bigint; next: number; anchor?: bigint }

/**
 * The shared main timer (mode 0): every second-granularity timer of the process on one Node timer,
 * re-armed for the earliest absolute deadline `start + k*interval`, so nothing drifts however late
 * a wake-up is. A tick whose previous execution is still running is skipped and counted.
 */
export class SharedScheduler {
  readonly #clock: SchedulerClock;
  readonly #entries: Entry[] = [];
  #start = 0n;
  #handle: ReturnType<SchedulerClock['setTimer']> | null = null;
  #refed = true;
  #running = false;

  constructor(clock: SchedulerClock = realClock) {
    this.#clock = clock;
  }

  /** `anchor` (monotonic ns, not after start()): deadlines at `anchor + k × interval` instead of from start(). */
  add(rt: TimerRuntime, anchor?: bigint): void {
    this.#entries.push({ rt, interval: BigInt(rt.config.intervalUs) * 1000n, next: 1, ...(anchor !== undefined ? { anchor } : {}) });
  }

  /** First execution one interval after start, as in Kamailio. */
  start(): void {
    if (this.#running || this.#entries.length === 0) return;
    this.#running = true;
    this.#start = this.#clock.now();
    this.#arm();
  }

  /** Cancels the timer; resolves when executions in flight have finished. */
  async stop(): Promise<void> {
    this.halt();
    await Promise.all(this.#entries.map((e) => e.rt.inFlight));
  }

  /** Cancels the timer at once: no execution starts after it, even later in the same wake-up. */
  halt(): void {
    this.#running = false;
    if (this.#handle) this.#clock.clearTimer(this.#handle);
    this.#handle = null;
  }

  ref(): void { this.#refed = true; this.#handle?.ref?.(); }
  unref(): void { this.#refed = false; this.#handle?.unref?.(); }

  #origin(e: Entry): bigint { return e.anchor ?? this.#start; }

  #deadline(e: Entry, k: number): bigint { return this.#origin(e) + BigInt(k) * e.interval; }

  /** How long until the next deadline of `rt`, ns; null when it is not scheduled here. */
  untilNext(rt: TimerRuntime): bigint | null {
    const e = this.#entries.find((x) => x.rt === rt);
    if (!e || !this.#running) return null;
    const now = this.#clock.now();
    const due = now < this.#origin(e) ? 0 : Number((now - this.#origin(e)) / e.interval);
    return this.#deadline(e, Math.max(e.next, due + 1)) - now;
  }

  #arm(): void {
    if (!this.#running) return;
    let earliest = this.#deadline(this.#entries[0], this.#entries[0].next);
    for (const e of this.#entries) {
      const d = this.#deadline(e, e.next);
      if (d < earliest) earliest = d;
    }
    const waitNs = earliest - this.#clock.now();
    // Node's timers have 1 ms granularity and may fire up to 1 ms early; #fire re-arms if so.
    // Past Node's limit the wait is chained: #fire finds nothing due and re-arms for what is left.
    const ms = waitNs <= 0n ? 0 : Math.min(MAX_TIMER_MS, Number((waitNs + 999_999n) / 1_000_000n));
    this.#handle = this.#clock.at ? this.#clock.at(earliest, () => this.#fire()) : this.#clock.setTimer(ms, () => this.#fire());
    if (!this.#refed) this.#handle.unref?.();
  }

  #fire(): void {
    this.#handle = null;
    if (!this.#running) return;
    const now = this.#clock.now();
    try {
      this.#runDue(now);
    } finally {
      this.#arm(); // whatever happened above, the other timers keep their schedule
    }
  }

  #runDue(now: bigint): void {
    for (const e of this.#entries) {
      if (!this.#running) return; // a route called stop()
      if (this.#deadline(e, e.next) > now) continue;
      const due = Number((now - this.#origin(e)) / e.interval);
      const passed = due - e.next + 1;
      // An ended loop keeps its grid (a trigger resumes it in phase) but has no ticks to count.
      if (!e.rt.life.counting) { e.rt.counters.idle += passed; e.next = due + 1; continue; }
      const c = e.rt.counters;
      c.ticks += passed;
      c.missed += passed - 1; // deadlines the process slept through: counted, not replayed
      e.next = due + 1;
      if (e.rt.inFlight) { c.missed++; continue; }
      e.rt.run(due, this.#deadline(e, due), this.#clock.now());
    }
  }
}
