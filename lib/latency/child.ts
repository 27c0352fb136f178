// One row of `rtimer latency`, in a process of its own so rows do not share a JS thread: one inline
// timer whose route takes its timestamp on its first line. Started by lib/latency/rows.ts with
// fork(); talks over IPC (advanced serialization): see ChildMessage.
import { binding } from '../native/binding.js';
import { RTimer } from '../rtimer.js';
import type { TimerSpec } from '../config/types.js';
import type { ChildMessage, ChildSetup, LatencyMode, ToChild } from './protocol.js';

const FLUSH_MS = 200;

const MODE_SPEC: Record<LatencyMode, Partial<TimerSpec>> = {
  default: {},
  precision: { precision: true },
  own: { thread: 'own' },
};

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

async function main(setup: ChildSetup): Promise<void> {
  binding.setParentDeathSignal();
  // Ctrl-C reaches the whole process group: the parent decides when this row stops.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  let t0 = 0n;
  let recording = false;
  // Room for two flush periods' samples; the route does two subtractions and two stores after its timestamp.
  const capacity = Math.ceil((2 * FLUSH_MS * 1e6) / setup.intervalNs) + 16;
  let buf = new Float64Array(2 * capacity);
  let n = 0;
  let dropped = 0;
  const rt = new RTimer({ routes: { LATENCY(_module, ctx) {
    const now = process.hrtime.bigint();
    if (!recording) return;
    if (n === capacity) { dropped++; return; }
    buf[2 * n] = Number(ctx.scheduled - t0);
    buf[2 * n + 1] = Number(now - ctx.scheduled);
    n++;
  } } });
  rt.on('error', (err: Error) => void send({ type: 'error', message: err.message }));
  rt.timer({ name: `latency-${setup.mode}`, interval: `${setup.intervalNs / 1000}us`, mode: 'inline', ...MODE_SPEC[setup.mode] })
    .exec({ timer: `latency-${setup.mode}`, route: 'LATENCY' });
  const flush = () => {
    if (n === 0 && dropped === 0) return;
    const samples = buf.slice(0, 2 * n);
    buf = new Float64Array(2 * capacity);
    n = 0;
    const d = dropped;
    dropped = 0;
    process.send!({ type: 'samples', samples, dropped: d } satisfies ChildMessage);
  };
  try {
    await rt.start();
  } catch (err) {
    await send({ type: 'error', message: (err as Error).message });
    process.disconnect();
    return;
  }
  let cpu0 = process.cpuUsage();
  let base = { ticks: 0, missed: 0 };
  let flusher: ReturnType<typeof setInterval> | undefined;
  process.on('message', async (raw) => {
    const m = raw as ToChild;
    if (m.type === 'go' && !recording) {
      t0 = BigInt(m.t0);
      recording = true;
      cpu0 = process.cpuUsage();
      const s = rt.stats()[0];
      base = { ticks: s.ticks, missed: s.missed };
      flusher = setInterval(flush, FLUSH_MS);
      return;
    }
    if (m.type !== 'stop') return;
    clearInterval(flusher);
    await rt.stop();
    const cpu = process.cpuUsage(cpu0);
    flush();
    const s = rt.stats()[0];
    await send({ type: 'done', ticks: s.ticks - base.ticks, missed: s.missed - base.missed, cpuNs: (cpu.user + cpu.system) * 1000,
      wallNs: recording ? Number(process.hrtime.bigint() - t0) : 0 });
    process.disconnect();
  });
  await send({ type: 'ready', pid: process.pid });
}

await main(JSON.parse(process.argv[2] ?? '{}') as ChildSetup);
