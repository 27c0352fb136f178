// Reads the kamailio.cfg files named in argv[2] (a JSON list of { label, file, repeat }) with
// loadKamailioConfig from dist/, in this order, and prints one JSON line: per case the median time
// in ms and how it ended (the timer count, or the error's class, code and message). The parent runs
// it under a time limit, so a case that hangs or exhausts memory fails the test instead of the run.
import { loadKamailioConfig } from '../../dist/index.js';

const cases = JSON.parse(process.argv[2]);
const results = [];
for (const c of cases) {
  const times = [];
  let outcome;
  for (let i = 0; i < (c.repeat ?? 1); i++) {
    const t0 = process.hrtime.bigint();
    try {
      const config = loadKamailioConfig(c.file, c.options ?? {});
      outcome = { ok: true, timers: config.resolve().length };
    } catch (err) {
      outcome = { ok: false, name: err?.name, code: err?.code, message: String(err?.message).slice(0, 500) };
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  results.push({ label: c.label, ms: times[Math.floor(times.length / 2)], ...outcome });
}
process.stdout.write(JSON.stringify(results) + '\n');
