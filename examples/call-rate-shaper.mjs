// The call-rate shaper of examples/call-rate.mjs as a unit: its routes, its timers, its queue. The
// real run (call-rate.mjs) and the test on virtual time (call-rate.test.mjs) use the same code.
//
// At most 1,000 queued calls a second, smoothed over the second, by 8 workers that each take the
// tasks of one slice every 100 ms (ntasks=1000, nslices=80: 12 calls in an even slice, 13 in an
// odd one). Each worker starts at slice worker×10, so in any 100 ms the 8 workers hold 8 different
// slices, all even or all odd: 96 and 104 calls in turn; over one second the 80 slices — every one
// of the 1,000 tasks — come exactly once: 1,000 calls.
export const WORKERS = 8;

/**
 * A shaper: `declare(rt)` adds its timers and routes to an RTimer built with `routes`; `enqueue(n)`
 * queues calls; `deliver(ctx)` is called once per call let through (override it to send them).
 */
export function callRateShaper({ deliver = () => {} } = {}) {
  // Calls are numbered as they come: the queue is the numbers from `head` (the next to go) to
  // `enqueued` (the next to come). A real one would hold the calls (mqueue in Kamailio).
  let head = 0;
  let enqueued = 0;
  const shaper = {
    deliver,
    get queued() { return enqueued - head; },
    get enqueued() { return enqueued; },
    enqueue(n) { enqueued += n; },
    routes: {
      QUEUE_START(_module, ctx) {
        const worker = Number(ctx.timer.split('_').at(-1));
        ctx.slice = worker * 10; // ptimer: $ptimer(slice) = $ptimer(worker) * 10;
      },
      QUEUE_LOOP(_module, ctx) {
        for (let i = 0; i < ctx.tasks && head < enqueued; i++) shaper.deliver(head++, ctx);
      },
    },
    declare(rt) {
      for (let w = 0; w < WORKERS; w++) {
        const name = `queue_timer_${w}`;
        rt.timer({ name, interval: '100ms', mode: 'inline', ntasks: 1000, nslices: 80 });
        rt.exec({ timer: name, route: 'QUEUE_START', on: 'start' });
        rt.exec({ timer: name, route: 'QUEUE_LOOP' });
      }
      return rt;
    },
  };
  return shaper;
}
