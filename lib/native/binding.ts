import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installDispatchLoop, type DispatchLoopHost } from './dispatch-loop.js';
import type { NativeDispatch } from './dispatch.js';

export type { NativeDispatch } from './dispatch.js';

export interface Capabilities {
  /** How native timer threads wait: `timerfd` on Linux, `steady_clock` in the portable fallback. */
  wait: 'timerfd' | 'steady_clock';
  clock: 'monotonic';
}

export interface NativeTimerOptions {
  name: string;
  intervalNs: number;
  policy?: 'skip' | 'burst' | 'delay';
  maxBurst?: number;
  /** Share of one core for the early-wake spin; 0 or absent: off. */
  precisionBudget?: number;
  ownThread?: boolean;
  priority?: number;
  schedPolicy?: 'fifo' | 'rr';
  cpus?: number[];
  lockMemory?: boolean;
  /**
   * Precision mode with the spin in JS: the engine hands ticks over `leadNs` early without spinning
   * and passes no `started`; the dispatcher writes [ready to spin, route started] (ns) here before
   * it returns, for the lateness histogram and the lead.
   */
  spinReport?: BigInt64Array;
  /**
   * What preparing one tick in JS took in a dry run before start (ns): the event loop's first
   * estimate of how early to hand a batch over, before it has learned from real batches.
   */
  prepareNs?: number;
  /**
   * `'loop'`: woken by the event loop polling a timerfd, with no thread and no hop between threads,
   * where it can be (Linux; not with priority, cpus, an own thread or precision, which need a
   * thread). Default `'thread'`.
   */
  wake?: 'loop' | 'thread';
}

/** Called when a late tick is owed after a route: must call catchUp() on a later event-loop turn. */
export type NativeDefer = () => void;

export interface NativeTimerStats {
  ticks: number;
  executions: number;
  missed: number;
  /** Dispatches that threw past the dispatcher (environment terminating). */
  dispatchErrors: number;
  /** Histogram snapshots: count, min, max, sum, sumSq, exceeds, then the bucket counts. */
  wake: Float64Array;
  callback: Float64Array;
  hop: Float64Array;
  leadNs: number;
  spinNs: number;
  /** Wake-ups of this timer's scheduler thread that reached JS: one batch carries every tick due then (shared by the thread's timers). */
  batches: number;
  /** Waits whose timerfd or poll() failed and fell back to a plain timed wait. */
  waitErrors: number;
  elapsedNs: number;
  applied: string[];
  refused: string[];
  /** Its own thread, or the shared one (a timer the event loop wakes counts as shared). */
  thread: 'own' | 'shared';
  /** Who wakes it: a timer thread, or the event loop itself polling a timerfd (no thread hop). */
  wakeBy?: 'thread' | 'loop';
}

export interface NativeTimer {
  /** Arms the first deadline one interval after `anchorNs` (default: now), or the next one after now. */
  start(anchorNs?: bigint): void;
  /** Idempotent; settles when every queued delivery has drained. Releases the thread, its fds and the memory lock at once. */
  stop(): Promise<void>;
  /** An async route is done. Returns true when a late tick is owed: call catchUp() on a later turn. */
  complete(): boolean;
  /** Hands the owed late tick over (see NativeDefer). */
  catchUp(): void;
  ref(): NativeTimer;
  unref(): NativeTimer;
  hasRef(): boolean;
  stats(): NativeTimerStats;
}

/** The addon's exports; nothing else in the package touches the .node file. */
export interface NativeBinding {
  now(): bigint;
  /** Spins on the calling thread until the monotonic clock reaches `deadline` (ns); returns the time read last. */
  spinUntil(deadline: bigint): bigint;
  /** CLOCK_REALTIME − CLOCK_MONOTONIC, ns, now. */
  realtimeOffset(): bigint;
  capabilities(): Capabilities;
  /** Linux: SIGKILL this process when its parent dies. Returns whether it was set. */
  setParentDeathSignal(): boolean;
  /** start() failures throw an Error with code ERR_RTIMER_START. */
  NativeTimer: new (options: NativeTimerOptions, dispatch: NativeDispatch, defer?: NativeDefer) => NativeTimer;
}

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(): NativeBinding {
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
  try {
    return nodeGypBuild(root);
  } catch (err) {
    throw new Error(`node-rtimer: cannot load its native addon for ${process.platform}-${process.arch} (Node ${process.version}). ` +
      'No prebuilt binary matches and no local build exists: run `npm rebuild node-rtimer` with a C++17 compiler, make and ' +
      `Python 3 installed (see the README, Troubleshooting). Cause: ${(err as Error).message}`, { cause: err });
  }
}

export const binding: NativeBinding = load();
installDispatchLoop(binding as unknown as DispatchLoopHost);
