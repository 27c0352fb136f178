import type { Execution, TimerRuntime } from './runtime.js';

/**
 * What stop() waits for in this process once no execution can start any more: the executions in
 * flight, each for at most `graceMs`; past it an execution is abandoned (counted and reported) and
 * stop() goes on without it.
 *
 * stop() awaited inside a route must not wait for its own execution, which waits for it. Such an
 * execution is marked while it waits there and no stop() call waits for it meanwhile (two routes
 * awaiting stop() would otherwise wait for each other); stop() called from outside still waits for
 * it to return, with a grace period of its own counted from the moment it is released.
 */
export class StopDrain {
  readonly #runtimes: readonly TimerRuntime[];
  readonly #graceMs: number;
  readonly #onAbandon: (exec: Execution) => void;
  readonly #checks = new Set<() => void>();
  #grace: NodeJS.Timeout | null = null;
  /** When the grace clock last started (performance.now()), and the ms it ran before that. */
  #since = 0;
  #spent = 0;
  readonly #all: Promise<void>;

  constructor(runtimes: readonly TimerRuntime[], graceMs: number, onAbandon: (exec: Execution) => void) {
    this.#runtimes = runtimes;
    this.#graceMs = graceMs;
    this.#onAbandon = onAbandon;
    for (const rt of runtimes) void rt.inFlight?.then(() => this.#changed());
    this.#all = this.#until(() => this.#pending().length === 0);
    this.#changed();
  }

  /** Resolves when every execution has returned or been abandoned. */
  all(): Promise<void> { return this.#all; }

  /**
   * How long the grace clock has run, ms: what is left of the grace period for a drain that follows
   * (stop()'s end routes), so that one grace period bounds the whole stop().
   */
  get spentMs(): number {
    return Math.min(this.#graceMs, this.#spent + (this.#grace ? performance.now() - this.#since : 0));
  }

  /** For stop() called inside `own`: resolves when every other execution returned, was abandoned or waits in stop() too. */
  async except(own: Execution): Promise<void> {
    own.waitingInStop = true;
    this.#changed();
    try {
      await this.#until(() => this.#pending().every((e) => e === own || e.waitingInStop));
    } finally {
      own.waitingInStop = false;
      this.#changed();
    }
  }

  #pending(): Execution[] {
    const out: Execution[] = [];
    for (const rt of this.#runtimes) if (rt.execution) out.push(rt.execution);
    return out;
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => { if (done()) { this.#checks.delete(check); resolve(); } };
      this.#checks.add(check);
    });
  }

  #changed(): void {
    for (const check of [...this.#checks]) check();
    const pending = this.#pending();
    // The grace clock runs while some execution is being waited for, i.e. not waiting in stop().
    const waitedFor = pending.some((e) => !e.waitingInStop);
    if (waitedFor && !this.#grace) {
      this.#since = performance.now();
      this.#grace = setTimeout(() => this.#expire(), this.#graceMs);
    } else if (!waitedFor && this.#grace) {
      clearTimeout(this.#grace);
      this.#grace = null;
      this.#spent += performance.now() - this.#since;
    }
  }

  #expire(): void {
    this.#grace = null;
    this.#spent = this.#graceMs;
    for (const e of this.#pending()) {
      if (e.waitingInStop) continue;
      e.runtime.abandon(e);
      this.#onAbandon(e);
    }
    this.#changed();
  }
}
