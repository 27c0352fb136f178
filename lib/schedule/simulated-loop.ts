import { deferRecords, Histogram } from '../stats/histogram.js';
import type { NativeRunnerStats } from './native-runner.js';
import type { Execution, TimerRuntime } from './runtime.js';
import type { InlineRunner } from './virtual-host.js';

/** Where in a turn of the event loop an event runs: libuv's timers, then poll (timerfds), then check (setImmediate). */
export const LoopPhase = { Timers: 0, Poll: 1, Check: 2 } as const;
export type LoopPhase = (typeof LoopPhase)[keyof typeof LoopPhase];

/** The time the simulation runs on (a VirtualClock). */
export interface LoopClock {
  now(): bigint;
  /** A route starts at its deadline when its tick came early: the engine spins there. */
  spinTo(t: bigint): void;
  at(t: bigint, phase: LoopPhase, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

/** Ticks due within this of the first one are handed over with it (native/loop_scheduler.cc kTogetherNs). */
const TOGETHER_NS = 10_000n;

/**
 * The native engine (native/timer_core.cc and loop_scheduler.cc) in TypeScript, on a given clock:
 * a process's inline timers on one event-loop scheduler, woken at the earliest deadline; every
 * tick due by then (within 10 µs) handed over as one batch whose ticks are all prepared before any
 * runs, each route starting at its deadline. A timer has at most one tick with JS; what does not
 * fit is counted per its policy (skip, burst with maxBurst, delay), and a late tick owed after a
 * route is handed over on the next turn of the loop. Precision, priorities and threads do not
 * exist here: every timer behaves as a default one, woken by the loop.
 */
export class SimulatedLoop {
  readonly clock: LoopClock;
  readonly #timers: SimulatedTimer[] = [];
  #queue: SimulatedTimer[] = [];
  #event: unknown = null;
  #eventAt: bigint | null = null;
  #running = false;
  readonly #due: SimulatedTimer[] = [];
  readonly #onWake = () => this.#run();

  constructor(clock: LoopClock) { this.clock = clock; }

  timer(rt: TimerRuntime): SimulatedTimer { return new SimulatedTimer(this, rt); }

  add(t: SimulatedTimer): void { this.#timers.push(t); this.arm(); }

  remove(t: SimulatedTimer): void {
    const i = this.#timers.indexOf(t);
    if (i >= 0) this.#timers.splice(i, 1);
    this.arm();
  }

  post(t: SimulatedTimer): void { this.#queue.push(t); this.arm(); }

  /** A halted timer's queued ticks: handed back rather than waiting for a turn of the loop. */
  unqueue(t: SimulatedTimer): number {
    const before = this.#queue.length;
    this.#queue = this.#queue.filter((x) => x !== t);
    return before - this.#queue.length;
  }

  /** The next wake-up: at once with a queued tick, else the earliest deadline. */
  arm(): void {
    if (this.#running) return;
    let want: bigint | null = null;
    if (this.#queue.length) want = this.clock.now();
    else for (const t of this.#timers) if (!t.stalled && (want === null || t.wake < want)) want = t.wake;
    if (want === this.#eventAt) return;
    if (this.#event !== null) this.clock.cancel(this.#event);
    this.#eventAt = want;
    this.#event = want === null ? null : this.clock.at(want, LoopPhase.Poll, this.#onWake);
  }

  #run(): void {
    this.#event = null;
    this.#eventAt = null;
    this.#running = true;
    try {
      const now = this.clock.now();
      const until = now + TOGETHER_NS;
      const due = this.#due;
      due.length = 0;
      for (const t of this.#timers) if (!t.stalled && t.wake <= until) due.push(t);
      // Earliest first; timers due at once in the order they were armed.
      if (due.length > 1) due.sort((a, b) => (a.wake < b.wake ? -1 : a.wake > b.wake ? 1 : 0));
      for (const t of due) t.fire(now > t.wake ? now : t.wake);
      due.length = 0;
      this.#deliver(now);
    } finally {
      this.#running = false;
      this.arm();
    }
  }

  // The dispatch loop (lib/native/dispatch-loop.ts): every tick prepared, then each run at its deadline.
  #deliver(arrival: bigint): void {
    const batch = this.#queue;
    this.#queue = [];
    const ready: SimulatedTimer[] = [];
    for (const t of batch) if (t.handOver()) ready.push(t);
    if (!ready.length) return;
    const prepared: (Execution | undefined)[] = ready.map((t) => t.rt.prepare(t.slot.tick, t.slot.deadline));
    const run = () => {
      ready.forEach((t, i) => {
        if (t.stopped) { t.finish('stopped', arrival); return; } // halted by a route before it
        const exec = prepared[i];
        if (exec === undefined) { t.finish('sync', this.clock.now()); return; } // paused or busy: the runtime counted it
        if (this.clock.now() < t.slot.deadline) this.clock.spinTo(t.slot.deadline);
        const started = this.clock.now();
        const pending = t.rt.call(exec, t.slot.deadline, started);
        if (pending === undefined) { t.finish('sync', started); return; }
        t.finish('async', started);
        void pending.then(() => { if (t.complete()) t.defer(); });
      });
    };
    if (ready.length === 1) run();
    else deferRecords(run);
  }
}

type Outcome = 'sync' | 'async' | 'stopped';

const EMPTY = new Histogram().toSnapshot();

/** One inline timer's schedule and delivery, as native/timer_core.cc keeps them. */
export class SimulatedTimer implements InlineRunner {
  readonly rt: TimerRuntime;
  readonly #loop: SimulatedLoop;
  readonly #interval: bigint;
  readonly #lateness = new Histogram();
  #base = 0n;
  #k = 1;
  #offset = 0;
  stalled = false;
  #stalledSlot = { tick: 0, deadline: 0n };
  /** A tick is with JS, or a late one waits for catchUp(). */
  #busy = false;
  #owed = 0;
  #newest = 0;
  stopped = false;
  #armed = false;
  #halted: Promise<void> | null = null;
  slot = { tick: 0, deadline: 0n };
  #ticks = 0;
  #executions = 0;
  #missed = 0;
  #refed = true;

  constructor(loop: SimulatedLoop, rt: TimerRuntime) {
    this.#loop = loop;
    this.rt = rt;
    this.#interval = BigInt(rt.config.intervalUs) * 1000n;
  }

  get config() { return this.rt.config; }

  #deadline(k: number): bigint { return this.#base + BigInt(k) * this.#interval; }

  /** The next deadline, kept with the schedule: the loop reads it often. */
  wake = 0n;

  #setK(k: number): void {
    this.#k = k;
    this.wake = this.#deadline(k);
  }

  start(anchorNs?: bigint): void {
    const now = this.#loop.clock.now();
    this.#base = anchorNs ?? now;
    // A past anchor resumes at the next deadline after now.
    this.#setK(now < this.#base + this.#interval ? 1 : Number((now - this.#base) / this.#interval) + 1);
    this.#armed = true;
    this.#loop.add(this);
  }

  fire(now: bigint): void {
    const last = Math.max(this.#k, Number((now - this.#base) / this.#interval));
    const n = last - this.#k + 1; // deadlines due now; more than one when the loop woke late
    const policy = this.rt.config.policy;
    this.#ticks += policy === 'delay' ? 1 : n;
    const busy = this.#busy;
    this.#busy = true;
    if (policy === 'skip') {
      this.#missed += busy ? n : n - 1;
      if (!busy) this.#post(this.#offset + last, this.#deadline(last));
    } else if (policy === 'burst') {
      // The owed window keeps the newest ticks: it ends at the last one due, the oldest drop out.
      const total = busy ? this.#owed + n : n - 1;
      this.#owed = Math.min(total, this.rt.config.maxBurst);
      this.#newest = this.#offset + last;
      this.#missed += total - this.#owed;
      if (!busy) this.#post(this.#offset + last - this.#owed, this.#deadline(last - this.#owed));
    } else {
      if (busy) {
        this.#stalledSlot = { tick: this.#offset + this.#k, deadline: this.#deadline(this.#k) };
        this.stalled = true;
        return;
      }
      this.#post(this.#offset + this.#k, this.#deadline(this.#k));
      // Woken a whole interval late: re-anchored rather than running behind.
      if (n > 1) { this.#reanchor(now); return; }
    }
    this.#setK(last + 1);
  }

  #reanchor(now: bigint): void {
    this.#offset += this.#k;
    this.#base = now;
    this.#setK(1);
    this.stalled = false;
  }

  #post(tick: number, deadline: bigint): void {
    this.slot = { tick, deadline };
    this.#loop.post(this);
  }

  /** The loop takes the tick: false when stopped meanwhile (counted missed). */
  handOver(): boolean {
    if (!this.stopped) return true;
    this.#missed++;
    this.#busy = false;
    return false;
  }

  finish(outcome: Outcome, started: bigint): void {
    if (outcome === 'stopped') { this.#missed++; this.#busy = false; return; }
    this.#executions++;
    this.#lateness.record(Number(started - this.slot.deadline));
    if (outcome === 'sync' && this.complete()) this.defer();
  }

  /** The routes are done: true when a tick is owed (burst) or stalled (delay), handed over by catchUp(). */
  complete(): boolean {
    if (!this.stopped && this.#busy && (this.#owed > 0 || this.stalled)) return true;
    this.#busy = false;
    this.#owed = 0;
    return false;
  }

  /** A late tick is handed over on the next turn of the loop, so other timers run between catch-ups. */
  defer(): void { this.#loop.clock.at(this.#loop.clock.now(), LoopPhase.Check, () => this.#catchUp()); }

  #catchUp(): void {
    if (this.stopped || !this.#busy) { this.#busy = false; return; }
    if (this.#owed > 0) {
      this.#owed--;
      const tick = this.#newest - this.#owed; // the oldest owed; burst never re-anchors
      this.#post(tick, this.#base + BigInt(tick) * this.#interval);
      return;
    }
    if (this.stalled) {
      const late = this.#stalledSlot;
      this.#reanchor(this.#loop.clock.now());
      this.#loop.arm();
      this.#post(late.tick, late.deadline);
      return;
    }
    this.#busy = false;
  }

  halt(): Promise<void> {
    if (this.#halted) return this.#halted;
    this.stopped = true;
    // Owed and stalled ticks are final now, and missed; so is a tick still queued.
    this.#missed += this.#owed + (this.stalled ? 1 : 0) + this.#loop.unqueue(this);
    this.#owed = 0;
    if (this.#armed) this.#loop.remove(this);
    this.#halted = Promise.resolve();
    return this.#halted;
  }

  stop(): Promise<void> { return this.halt().then(() => this.rt.inFlight ?? undefined); }

  ref(): void { this.#refed = true; }
  unref(): void { this.#refed = false; }
  get refed(): boolean { return this.#refed; }

  stats(): NativeRunnerStats {
    const raw = {
      ticks: this.#ticks, executions: this.#executions, missed: this.#missed, dispatchErrors: 0,
      wake: EMPTY, callback: this.#lateness.toSnapshot(), hop: EMPTY, leadNs: 0, spinNs: 0,
      batches: 0, waitErrors: 0, elapsedNs: 0, applied: [], refused: [], thread: 'shared' as const, wakeBy: 'loop' as const,
    };
    return {
      ticks: this.#ticks, executions: this.#executions, missed: this.#missed, dispatchErrors: 0,
      lateness: Histogram.fromSnapshot(raw.callback), raw,
      native: { wake: new Histogram(), hop: new Histogram(), leadNs: 0, spinCpu: 0, waitErrors: 0, thread: 'shared',
        wakeBy: 'loop', applied: [], refused: [] },
    };
  }
}
