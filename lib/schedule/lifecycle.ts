import type { RouteHook, TimerConfig } from '../config/types.js';
import { SliceCursor, validateSettings, type SliceFields } from './slices.js';

/** A worker's loop (the timer's, in mode 0 and inline): ticking, paused, or ended until started again. */
export type LoopState = 'running' | 'paused' | 'ended';

/**
 * What moved a loop: a control verb (`pause`, `resume`, a trigger's `start`/`loop`/`end`), a route
 * returning -1 (`return`), a failing start route (`error`), or stop() (`stop`).
 */
export type StateCause = 'pause' | 'resume' | 'start' | 'loop' | 'end' | 'return' | 'error' | 'stop';

export interface LoopStateChange { from: LoopState; to: LoopState; by: StateCause }

/** One run of a hook's routes, as the runtime reports it back. */
export interface HookResult {
  /** A route threw or rejected (counted and reported by the runtime). */
  failed: boolean;
  /** A route returned -1. */
  ended: boolean;
  /** Start only: the values the route left in its context. */
  settings?: Record<'ntasks' | 'nslices' | 'slice', unknown>;
}

/** What the lifecycle needs of the runtime that runs the routes. */
export interface LifecycleHost {
  readonly config: TimerConfig;
  /** Runs the routes of `on` once, outside the schedule, as an execution stop() waits for. */
  invoke(on: RouteHook, fields: SliceFields, done: (r: HookResult) => void): Promise<void> | undefined;
  /** Counts and reports an error of a hook that is not the route's own (a bad writable value). */
  fail(route: string, err: unknown): void;
}

/**
 * ptimer's start / loop / end for one worker (the timer, in mode 0 and inline): `start` once before
 * the first tick with a fresh `ctx.state`, the loop, and `end` once at stop() or when a route returns
 * -1 — after which the loop stays `ended` until it is started again. Pausing is orthogonal: a paused
 * loop runs no route, whatever its phase, until resumed.
 */
export class Lifecycle {
  #phase: 'running' | 'ended' = 'running';
  #paused = false;
  /** ctx.state: one object from start to end. */
  state: Record<string, unknown> = {};
  readonly slices: SliceCursor;
  /** stop() began: a route returning -1 no longer runs end at once; the stop's finish() does. */
  halted = false;

  constructor(private readonly host: LifecycleHost, private readonly onChange: (c: LoopStateChange) => void) {
    this.slices = new SliceCursor(host.config);
  }

  get current(): LoopState { return this.#paused ? 'paused' : this.#phase; }

  /** Whether scheduled deadlines count as ticks: not once ended (they would never run). */
  get counting(): boolean { return this.#phase === 'running'; }

  /** Whether a due tick runs its routes. */
  get runs(): boolean { return this.#phase === 'running' && !this.#paused; }

  pause(): void { this.#set(() => { this.#paused = true; }, 'pause'); }
  resume(): void { this.#set(() => { this.#paused = false; }, 'resume'); }

  /** Runs start with a fresh state and slice; the loop runs once it returned, unless it failed or returned -1. */
  begin(by: StateCause = 'start'): Promise<void> | undefined {
    this.state = {};
    this.slices.reset();
    const start = this.host.config.start;
    if (start === undefined) { this.#set(() => { this.#phase = 'running'; this.#paused = false; }, by); return undefined; }
    return this.host.invoke('start', this.slices.current(), (r) => {
      if (r.failed) { this.#set(() => { this.#phase = 'ended'; this.#paused = false; }, 'error'); return; }
      if (r.settings) {
        try {
          this.slices.set(validateSettings(r.settings, `start route "${start}" of timer "${this.host.config.name}"`));
        } catch (err) {
          this.host.fail(start, err);
          this.#set(() => { this.#phase = 'ended'; this.#paused = false; }, 'error');
          return;
        }
      }
      if (r.ended) { void this.finish('return'); return; }
      this.#set(() => { this.#phase = 'running'; this.#paused = false; }, by);
    });
  }

  /** ptimer's `loop` jump: back into the loop with the state and slice it has. */
  loop(): void { this.#set(() => { this.#phase = 'running'; this.#paused = false; }, 'loop'); }

  /** Runs end unless already ended; the loop is `ended` once it returned. */
  finish(by: StateCause): Promise<void> | undefined {
    if (this.#phase === 'ended') { if (by !== 'stop') this.#set(() => { this.#paused = false; }, by); return undefined; }
    const end = () => this.#set(() => { this.#phase = 'ended'; this.#paused = false; }, by);
    if (this.host.config.end === undefined) { end(); return undefined; }
    return this.host.invoke('end', this.slices.current(), end);
  }

  /** A tick route returned -1: end now, or at stop() when stop() already began. */
  returned(): void {
    if (this.halted) return;
    void this.finish('return');
  }

  #set(change: () => void, by: StateCause): void {
    const from = this.current;
    change();
    const to = this.current;
    if (from !== to) this.onChange({ from, to, by });
  }
}
