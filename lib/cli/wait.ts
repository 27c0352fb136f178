// setTimeout takes at most 2^31-1 ms; a larger delay fires after 1 ms (with a TimeoutOverflowWarning).
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface TimerFunctions {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const node: TimerFunctions = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Resolves after `ms` (chained timeouts of at most 2^31-1 ms each, so any length works; `Infinity` or
 * `undefined` never) or as soon as `signal` aborts, whichever is first.
 */
export function waitFor(ms: number | undefined, signal?: AbortSignal, timers: TimerFunctions = node): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve(); return; }
    let handle: unknown;
    const done = () => {
      if (handle !== undefined) timers.clearTimeout(handle);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    if (ms === undefined || ms === Infinity) return;
    let left = Math.max(0, ms);
    const step = () => {
      const now = Math.min(left, MAX_TIMEOUT_MS);
      left -= now;
      handle = timers.setTimeout(() => {
        handle = undefined;
        if (left > 0) step(); else done();
      }, now);
    };
    step();
  });
}
