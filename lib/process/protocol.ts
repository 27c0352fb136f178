import type { NativeTimerStats } from '../binding.js';
import type { TimerConfig } from '../config/types.js';
import type { TimerCounters } from '../schedule/runtime.js';

/** Parent → worker. Sent over the IPC channel with 'advanced' serialization (BigInt, typed arrays). */
export type ToWorker =
  | { type: 'start'; routes: string; timer: TimerConfig; worker: number; workers: number; statsIntervalMs: number }
  /** Sent once every worker is loaded, so they all count from the same anchor. */
  | { type: 'arm'; anchorNs: bigint }
  | { type: 'stop' };

export interface WorkerReport {
  pid: number;
  counters: TimerCounters;
  native: NativeTimerStats;
  /** Route duration histogram snapshot (the native snapshot layout). */
  duration: Float64Array;
}

/** Worker → parent. */
export type FromWorker =
  | { type: 'loaded'; pid: number }
  | { type: 'armed'; pid: number }
  | { type: 'failed'; code: string; message: string }
  | { type: 'route-error'; route: string; message: string; stack?: string }
  | { type: 'stats'; report: WorkerReport }
  | { type: 'stopped'; report: WorkerReport };
