const hrtime = process.hrtime.bigint;

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
  until(deadline: bigint, _for: unknown): bigint {
    let now = hrtime();
    while (now < deadline) now = hrtime();
    return now;
  },
};
