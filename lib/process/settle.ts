/** Waits for every step, then returns the first failure's reason (or undefined): no step is left running. */
export async function firstFailure(steps: Promise<unknown>[]): Promise<unknown> {
  const results = await Promise.allSettled(steps);
  return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
}
