/** The timer kinds `rtimer latency` compares: an inline timer as configured by default, with `precision: true`, with `thread: 'own'`. */
export type LatencyMode = 'default' | 'precision' | 'own';
export const LATENCY_MODES: readonly LatencyMode[] = ['default', 'precision', 'own'];

/** What the parent passes a row's process (argv[2], JSON). */
export interface ChildSetup { intervalNs: number; mode: LatencyMode }

/**
 * To a row's process: `go` once every row runs (`t0`: the measured window's start, monotonic ns as a
 * decimal string; samples before it are not kept, so every row covers the same window); `stop`.
 */
export type ToChild = { type: 'go'; t0: string } | { type: 'stop' };

/**
 * From a row's process: `ready` once its timer runs; `samples` every 200 ms, [deadline − t0, lateness]
 * pairs in ns (`dropped`: samples that did not fit, the event loop was held past two flushes);
 * `done` after the parent's stop, its counters over the window since `go`; `error` for a timer that could not start or a route error.
 */
export type ChildMessage =
  | { type: 'ready'; pid: number }
  | { type: 'samples'; samples: Float64Array; dropped: number }
  | { type: 'done'; ticks: number; missed: number; cpuNs: number; wallNs: number }
  | { type: 'error'; message: string };
