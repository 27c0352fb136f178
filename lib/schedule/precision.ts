import { binding } from '../native/binding.js';

const hrtime = process.hrtime.bigint;
/**
 * The last stretch spun in JS (ns). Every read of process.hrtime.bigint() allocates a BigInt: a lead
 * of milliseconds spun in JS fills the young generation, and a scavenge during the last µs before
 * the deadline lands on the route. So the native spin (no allocation) takes the time before this
 * stretch, and the JS spin the rest. The JS loop right after the native call returns loses the CPU
 * for 17-35 µs at p50 on a 2-vCPU VM (measured after a 0.5 ms and a 2 ms native spin alike): a
 * stretch of 30 µs ended past the deadline at p50 (route entry 11-19 µs late at 20 ms), one of
 * 200 µs absorbs it (0.7-1.1 µs), for ~80 KB of BigInts per tick.
 */
const JS_STRETCH_NS = 200_000n;

/**
 * The last step before a route of a tick the native engine handed over early (the event loop a
 * little ahead of the deadline, precision mode by its lead): everything the call needs is built and
 * counted, then the JS thread spins to the deadline, and the route is called on the next line. The
 * spin is in JS, in the frame that calls the route: a native spin's return, and anything between
 * it and the route, runs cold after an idle interval, and the route would feel it. An object, so
 * tests can watch the order (`until` gets the route's context, or the execution of a timer
 * with no routes); the engine always calls `precisionSpin.until`.
 */
export const precisionSpin = {
  /** Reads the clock until it reaches `deadline`; returns the last read, the route's `started`. */
  // In a 4 s run at 20 ms with a lead of ~0.8 ms: a JS-only spin caused 49-69 scavenges, the 200 µs JS
  // stretch 18 (30 µs: none); a scavenge in the stretch is spun through unless it ends past the deadline.
  until(deadline: bigint, _for: unknown): bigint {
    let now = hrtime();
    if (now >= deadline) return now;
    if (deadline - now > JS_STRETCH_NS) now = binding.spinUntil(deadline - JS_STRETCH_NS);
    while (now < deadline) now = hrtime();
    return now;
  },
};
