// Route for the "node-rtimer, dedicated process" candidate: records each tick's route-entry
// lateness (timestamp on the first line) and the engine's own figure in the worker, and writes them
// out when the worker stops.
import { writeFileSync } from 'node:fs';

const ticks = new Float64Array(2_000_000);
const late = new Float64Array(2_000_000);
const engine = new Float64Array(2_000_000);
let n = 0;

export function BENCH(_m, ctx) {
  const now = process.hrtime.bigint();
  if (n < late.length) {
    ticks[n] = ctx.tick;
    late[n] = Number(now - ctx.scheduled);
    engine[n++] = Number(ctx.started - ctx.scheduled);
  }
}

export function onWorkerStop() {
  writeFileSync(`${process.env.RTIMER_BENCH_OUT}.${process.pid}.json`, JSON.stringify({
    ticks: Array.from(ticks.subarray(0, n)), late: Array.from(late.subarray(0, n)), engine: Array.from(engine.subarray(0, n)),
  }));
}
