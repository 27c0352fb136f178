import type { TimerConfig } from '../config/types.js';
import type { ProcessTimer } from '../process/supervisor.js';
import type { SpendDuration } from '../route/spend.js';
import type { NativeRunner } from './native-runner.js';
import type { TimerRuntime } from './runtime.js';
import type { SchedulerClock } from './shared-scheduler.js';
import type { GraceTimer } from './stop-drain.js';

/** What RTimer needs of an inline timer's engine: the native one, or its simulation on a virtual clock. */
export type InlineRunner = Pick<NativeRunner, 'config' | 'start' | 'halt' | 'stop' | 'ref' | 'unref' | 'stats'>;

/** What RTimer needs of a mode=N timer: forked processes, or workers simulated in this process. */
export type DedicatedTimer = Pick<ProcessTimer, 'config' | 'failed' | 'paused' | 'nextDeadline' | 'control' | 'load' | 'arm' |
  'stop' | 'workers' | 'loops' | 'ref' | 'unref'>;

export type DedicatedEmit = ConstructorParameters<typeof ProcessTimer>[3];

/**
 * Everything time-related an RTimer does differently on a virtual clock (node-rtimer/testing). The
 * RTimer finds it on the clock under VIRTUAL_HOST; without one it uses the real engine.
 */
export interface VirtualHost {
  /** The mode-0 scheduler's clock. */
  readonly scheduler: SchedulerClock;
  /** stop()'s grace period, on virtual time. */
  readonly grace: GraceTimer;
  /** Monotonic ns (ctx.scheduled's clock). */
  now(): bigint;
  /** Wall-clock ms (Date.now()'s). */
  wallMs(): number;
  /** CLOCK_REALTIME − CLOCK_MONOTONIC, ns. */
  realtimeOffset(): bigint;
  spend(d: SpendDuration): void;
  /** Throws RTimerConfigError for a timer that asks for what only real time has (threads, priorities). */
  check(timers: readonly TimerConfig[]): void;
  /**
   * Routes of this runtime count as pending while in flight: tick() waits for them. A simulated
   * worker's runtime comes with its own spend(), which the clock's spend() uses in its routes.
   */
  track(rt: TimerRuntime, worker?: number, spend?: (d: SpendDuration) => void): void;
  untrack(rt: TimerRuntime): void;
  inline(rt: TimerRuntime): InlineRunner;
  dedicated(config: TimerConfig, url: string, graceMs: number, emit: DedicatedEmit): DedicatedTimer;
  /**
   * start() awaiting the start routes of `runtimes` (`done`): rejects ERR_RTIMER_VIRTUAL_PENDING naming
   * a route still pending after pendingMs of real time, and stops tracking them.
   */
  starting(done: Promise<unknown>, runtimes: readonly TimerRuntime[]): Promise<void>;
  /** Moves virtual time on until `done` settles (stop() waiting out a grace period), unless a tick() already does. */
  drive(done: Promise<unknown>): Promise<void>;
}

export const VIRTUAL_HOST = Symbol.for('node-rtimer.virtualHost');

/** A clock that runs RTimers on virtual time (VirtualClock). */
export interface VirtualTime { readonly [VIRTUAL_HOST]: VirtualHost }

export function virtualHost(clock: unknown): VirtualHost | undefined {
  return clock !== null && typeof clock === 'object' && VIRTUAL_HOST in clock ? (clock as VirtualTime)[VIRTUAL_HOST] : undefined;
}
