import { binding } from '../native/binding.js';
import type { Execution } from './runtime.js';

/**
 * Precision mode's last step before a route: the native thread hands the tick over a lead ahead of
 * the deadline, the context is built (TimerRuntime.prepare), and only then does the JS thread spin
 * to the deadline, so nothing but the call itself runs after it. An object, so tests can watch the
 * order (`until` gets the prepared execution); the engine always calls `precisionSpin.until`.
 */
export const precisionSpin = {
  /** Spins until `deadline`; returns the time it read last, the route's `started`. */
  until(deadline: bigint, _prepared: Execution): bigint {
    // In native code: a JS spin on process.hrtime.bigint() allocates a BigInt per read, and the
    // scavenges that triggers land on routes. Same clock (CLOCK_MONOTONIC) as hrtime.
    return binding.spinUntil(deadline);
  },
};
