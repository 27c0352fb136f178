import { binding, type Capabilities } from './binding.js';

/** The monotonic clock the timers use, in ns; the same clock as process.hrtime.bigint(). */
export function now(): bigint { return binding.now(); }

/** What this build's native engine uses on this platform. */
export function capabilities(): Capabilities { return binding.capabilities(); }
