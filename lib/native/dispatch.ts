// The dispatcher's shape, apart from the loader (binding.ts) so the batch loop can name it
// without importing the addon.

/**
 * Returns true when the routes went async: the timer then waits for complete(). With `spinReport`,
 * `started` is not passed: the dispatcher spins and reports it. A dispatcher may also come in two
 * halves, which the batch loop (dispatch-loop.ts) uses: prepare() builds the tick's execution
 * (undefined: nothing to run, already counted), run() calls its routes at `started`.
 */
export type NativeDispatch = ((tick: number, scheduled: bigint, started: bigint) => boolean) & {
  prepare?: (tick: number, scheduled: bigint) => unknown;
  run?: (prepared: unknown, scheduled: bigint, started: bigint) => boolean;
  /** run() spins to the deadline itself and reports when the route started (precision mode). */
  spins?: boolean;
};
