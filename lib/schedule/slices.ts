import { RTimerError } from '../errors.js';
import { MAX_TASKS, slicesTasks } from '../config/tasks.js';
import type { TimerConfig } from '../config/types.js';

/** `⌊slice·ntasks/nslices⌋`, exact for every 32-bit operand (the product can pass 2^53). */
export function taskBound(slice: number, ntasks: number, nslices: number): number {
  const p = slice * ntasks;
  if (p <= Number.MAX_SAFE_INTEGER) return Math.floor(p / nslices);
  return Number((BigInt(slice) * BigInt(ntasks)) / BigInt(nslices));
}

/** The tasks of `slice`: `[⌊slice·ntasks/nslices⌋, ⌊(slice+1)·ntasks/nslices⌋)`. */
export function taskRange(slice: number, ntasks: number, nslices: number): [number, number] {
  return [taskBound(slice, ntasks, nslices), taskBound(slice + 1, ntasks, nslices)];
}

/** What a tick's context says about its share of the work. */
export interface SliceFields {
  readonly slice: number;
  readonly nslices: number;
  readonly ntasks: number;
  readonly tasks: number;
  readonly taskRange: readonly [number, number];
}

/** The three values a start route may change for its worker (ptimer's writable `$ptimer(...)`). */
export interface SliceSettings { ntasks: number; nslices: number; slice: number }

/**
 * Checks what a start route left in its context, as ptimer does: `nslices` ≥ 1, `slice` < nslices,
 * `ntasks` ≤ 2^32−1, all integers. The error names the value and the route.
 */
export function validateSettings(v: Record<'ntasks' | 'nslices' | 'slice', unknown>, where: string): SliceSettings {
  const bad = (field: string, code: string, expected: string): never => {
    throw new RTimerError(code, `${where} set ${field} to ${describe(v[field as keyof typeof v])}: expected ${expected}`);
  };
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  if (!int(v.ntasks) || v.ntasks < 0 || v.ntasks > MAX_TASKS) bad('ntasks', 'ERR_RTIMER_NTASKS_INVALID', `an integer 0..${MAX_TASKS}`);
  if (!int(v.nslices) || v.nslices < 1 || v.nslices > MAX_TASKS) bad('nslices', 'ERR_RTIMER_NSLICES_INVALID', `an integer 1..${MAX_TASKS}`);
  const nslices = v.nslices as number;
  if (!int(v.slice) || v.slice < 0 || v.slice >= nslices) bad('slice', 'ERR_RTIMER_SLICE_INVALID', `an integer 0..${nslices - 1} (below nslices ${nslices})`);
  return { ntasks: v.ntasks as number, nslices, slice: v.slice as number };
}

function describe(x: unknown): string {
  return typeof x === 'string' ? JSON.stringify(x) : typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean' || x == null ? String(x) : typeof x;
}

/**
 * One worker's walk through its slices: each tick takes the next slice, except the first tick after
 * start, which takes the slice start left (0 unless start set it). A timer that does not slice
 * (ptimer types 0 and 1) keeps slice 0 and all its tasks.
 */
export class SliceCursor {
  readonly #moves: boolean;
  readonly #timer: Pick<TimerConfig, 'ntasks' | 'nslices'>;
  ntasks: number;
  nslices: number;
  slice = 0;
  #fresh = true;
  /** Types 0 and 1 (the slice never moves): one frozen view, built once per start's settings. */
  #fixed: SliceFields | null = null;
  /** The other types: a frozen view per slice, built on its first tick, per start's settings. */
  #views: (SliceFields | undefined)[] | null = null;

  constructor(timer: Pick<TimerConfig, 'ntasks' | 'nslices' | 'type'>) {
    this.#timer = timer;
    this.#moves = slicesTasks(timer);
    this.ntasks = timer.ntasks;
    this.nslices = timer.nslices;
  }

  /** Back to the configured values, slice 0; the next tick is a first tick. */
  reset(): void {
    this.ntasks = this.#timer.ntasks;
    this.nslices = this.#timer.nslices;
    this.slice = 0;
    this.#fresh = true;
    this.#fixed = this.#views = null;
  }

  /** What a start route set (already validated). */
  set(s: SliceSettings): void {
    this.ntasks = s.ntasks;
    this.nslices = s.nslices;
    this.slice = s.slice;
    this.#fixed = this.#views = null;
  }

  /** The slice of the current tick, advancing first unless this is the first tick after start. */
  advance(): SliceFields {
    if (!this.#moves) return this.current();
    if (!this.#fresh) this.slice = (this.slice + 1) % this.nslices;
    this.#fresh = false;
    return this.current();
  }

  /** The current slice without moving (start's and end's view, a triggered tick). */
  current(): SliceFields {
    if (!this.#moves) {
      return this.#fixed ??= Object.freeze({
        slice: 0, nslices: this.nslices, ntasks: this.ntasks, tasks: this.ntasks, taskRange: Object.freeze([0, this.ntasks] as const),
      });
    }
    if (this.nslices > CACHED_SLICES) return sliceFields(this.slice, this.ntasks, this.nslices);
    // A tick takes a frozen view shared by every tick of its slice: none is built per tick.
    const views = this.#views ??= new Array<SliceFields | undefined>(this.nslices);
    return views[this.slice] ??= Object.freeze(sliceFields(this.slice, this.ntasks, this.nslices));
  }
}

/** Slices whose views are kept (one small frozen object each); beyond, a tick builds its own. */
const CACHED_SLICES = 4096;

function sliceFields(slice: number, ntasks: number, nslices: number): SliceFields {
  const range = Object.freeze(taskRange(slice, ntasks, nslices));
  return { slice, nslices, ntasks, tasks: range[1] - range[0], taskRange: range };
}
