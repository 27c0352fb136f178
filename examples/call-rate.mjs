// Global call-rate shaping, after Kamailio ptimer's "Global Traffic Shaping" example: deliver at
// most 1,000 queued calls a second, smoothed over the second, by 8 workers that each take the
// tasks of one slice every 100 ms (ntasks=1000, nslices=80: 12 or 13 calls a slice). Each worker
// starts at slice worker×10, so in any 100 ms the 8 workers hold 8 different slices (all even or
// all odd: 96 and 104 calls in turn), and over one second the 80 slices — every one of the 1,000
// tasks — come exactly once: 1,000 calls.
//
// Why 8 inline timers and not mode=8: ptimer's workers share Kamailio's queue (mqueue lives in
// shared memory). Node processes share no memory, so 8 dedicated processes (mode=8) could only
// each drain a queue of their own (an eighth of the traffic, split by whoever enqueues). Here the
// queue is an in-memory array of this process, so the 8 "workers" are 8 inline timers of one
// RTimer (native timing, routes on this event loop); each knows its worker number from its name.
//
// The shaper itself is in call-rate-shaper.mjs; call-rate.test.mjs checks it over an hour of
// virtual time (node --test examples/call-rate.test.mjs).
//
// Run: node examples/call-rate.mjs   (after `npm run compile`)
import { RTimer } from 'node-rtimer';
import { callRateShaper } from './call-rate-shaper.mjs';

const delivered = [];
let t0 = 0n;
const shaper = callRateShaper({ deliver: () => delivered.push(process.hrtime.bigint()) });
const rt = shaper.declare(new RTimer({ routes: shaper.routes }));

// Traffic: a burst of 2,500 calls at once, then 400 calls a second for 3 s.
const enqueue = (n) => shaper.enqueue(n);
t0 = process.hrtime.bigint();
enqueue(2500);
const steady = setInterval(() => enqueue(40), 100);
setTimeout(() => clearInterval(steady), 3000);

await rt.start();
await new Promise((r) => setTimeout(r, 4500));
await rt.stop();

// Calls delivered per 100 ms window since the start: at most ~104 while the queue has calls.
const windows = new Map();
for (const t of delivered) {
  const w = Number((t - t0) / 100_000_000n);
  windows.set(w, (windows.get(w) ?? 0) + 1);
}
const last = Math.max(...windows.keys());
console.log('window       calls');
for (let w = 0; w <= last; w++) {
  const n = windows.get(w) ?? 0;
  console.log(`${String(w * 100).padStart(5)}ms  ${String(n).padStart(5)}  ${'#'.repeat(Math.round(n / 4))}`);
}
const perSecond = [];
for (let s = 0; s * 10 <= last; s++) {
  let n = 0;
  for (let w = s * 10; w < s * 10 + 10; w++) n += windows.get(w) ?? 0;
  perSecond.push(n);
}
console.log(`per second: ${perSecond.join(', ')} (limit 1000); still queued: ${shaper.queued}`);
