// The dispatcher's shape, apart from the loader (binding.ts) so the batch loop can name it
// without importing the addon.

/**
 * Returns true when the routes went async: the timer then waits for complete(). With `spinReport`,
 * `started` is not passed: the dispatcher spins and reports it. A dispatcher may also come in two
 * halves, which the batch loop (dispatch-loop.ts) uses: prepare() builds the tick's execution
 * (undefined: nothing to run, already counted); run() calls its routes, never before `scheduled`
 * (it spins up to it on the line before the route), and writes when the first route started to
 * `out[at]`.
 */
export type NativeDispatch = ((tick: number, scheduled: bigint, started: bigint) => boolean) & {
  prepare?: (tick: number, scheduled: bigint) => unknown;
  run?: (prepared: unknown, scheduled: bigint, out: BigInt64Array, at: number) => boolean;
};
