// The sender of bench/rtp-scale.ts: N G.711 streams (PCMU, 20 ms, 160-byte payload, RTP header with
// its own SSRC, sequence number and timestamp advancing by 160 per packet) paced by one candidate
// timer per stream, all in this one process, over one UDP socket to the receiver on 127.0.0.1.
import { createSocket } from 'node:dgram';
import NanoTimer from 'nanotimer';
import { RTimer } from '../dist/index.js';

export type RtpCandidate = 'rtimer' | 'rtimer-precision' | 'nanotimer' | 'setInterval';
export interface SenderJob { candidate: RtpCandidate; streams: number; port: number; durationMs: number; spread: boolean }
export interface SenderReport { packets: number; missed: number; cpuPct: number; wallMs: number }

const PTIME_MS = 20;
const SAMPLES = 160; // 20 ms at 8 kHz

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(job: SenderJob): Promise<SenderReport> {
  const sock = createSocket('udp4');
  const payload = Buffer.alloc(SAMPLES, 0xff); // μ-law silence
  const state = Array.from({ length: job.streams }, (_, i) => ({
    ssrc: (0x52000000 + i) >>> 0,
    seq0: (i * 7919) & 0xffff, // arbitrary starts, wrapping included
    ts0: (i * 104_729) >>> 0,
    seq: (i * 7919) & 0xffff,
    ts: (i * 104_729) >>> 0,
  }));
  let packets = 0;
  // node-rtimer passes the tick: a skipped tick then advances the sequence number and the timestamp as
  // a lost packet would (the receiver counts it as lost, not as 20 ms of jitter). The other candidates
  // have no tick count: each packet takes the next number.
  const send = (i: number, tick?: number) => {
    const s = state[i];
    if (tick !== undefined) {
      s.seq = (s.seq0 + tick) & 0xffff;
      s.ts = (s.ts0 + tick * SAMPLES) >>> 0;
    }
    // A fresh buffer per packet: dgram may still hold the previous one when the next tick comes.
    const pkt = Buffer.allocUnsafe(12 + SAMPLES);
    pkt[0] = 0x80;
    pkt[1] = 0; // PT 0, PCMU
    pkt.writeUInt16BE(s.seq, 2);
    pkt.writeUInt32BE(s.ts, 4);
    pkt.writeUInt32BE(s.ssrc, 8);
    payload.copy(pkt, 12);
    s.seq = (s.seq + 1) & 0xffff;
    s.ts = (s.ts + SAMPLES) >>> 0;
    packets++;
    sock.send(pkt, job.port, '127.0.0.1');
  };
  let stop: () => Promise<number>;
  if (job.candidate === 'rtimer' || job.candidate === 'rtimer-precision') {
    const index = new Map<string, number>();
    const rt = new RTimer({ routes: { SEND(_m: unknown, ctx: { timer: string; tick: number }) { send(index.get(ctx.timer)!, ctx.tick); } } });
    for (let i = 0; i < job.streams; i++) {
      index.set(`s${i}`, i);
      rt.timer({ name: `s${i}`, interval: `${PTIME_MS}ms`, mode: 'inline', ...(job.spread ? { stagger: true } : {}),
        ...(job.candidate === 'rtimer-precision' ? { precision: true } : {}) }).exec(`timer=s${i};route=SEND`);
    }
    await rt.start();
    stop = async () => { await rt.stop(); return rt.stats().reduce((a, t) => a + t.missed, 0); };
  } else if (job.candidate === 'nanotimer') {
    const timers = state.map((_, i) => { const t = new NanoTimer(); t.setInterval(() => send(i), '', `${PTIME_MS}m`); return t; });
    stop = async () => { for (const t of timers) t.clearInterval(); return 0; };
  } else {
    if (job.spread) throw new Error('setInterval: no spread layout');
    const handles = state.map((_, i) => setInterval(() => send(i), PTIME_MS));
    stop = async () => { for (const h of handles) clearInterval(h); return 0; };
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(job.durationMs);
  const missed = await stop();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  await new Promise<void>((r) => sock.close(() => r()));
  return { packets, missed, wallMs, cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100 };
}

process.once('message', async (job) => {
  const report = await main(job as SenderJob);
  process.send!(report, () => process.disconnect());
});
