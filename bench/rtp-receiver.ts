// Receives the RTP stream of scenario 3 in its own process and reports RFC 3550 interarrival jitter
// and the packet-time error (arrival minus the packet's ideal send time; one monotonic clock).
// Jitter as Wireshark's RTP analysis and bench/rtp-scale-receiver.ts give it: the mean and the max of
// J over the stream's packets. J's last value (all this reported until 2026-12-05) is one sample of a
// running estimate over ~16 packets: two runs of one sender differ by more than two senders do.
import { createSocket } from 'node:dgram';

const CLOCK_NS = 125_000; // 8 kHz RTP clock: one unit is 125 µs
const sock = createSocket('udp4');
let jitter = 0; // RFC 3550 J, in RTP timestamp units
let sumJitter = 0;
let maxJitter = 0;
let samples = 0;
let prev: { arrival: bigint; ts: number } | null = null;
const errors: number[] = [];
let packets = 0;

sock.on('message', (pkt) => {
  const arrival = process.hrtime.bigint();
  if (pkt.length !== 172) return;
  const ts = pkt.readUInt32BE(4);
  const ideal = pkt.readBigInt64BE(12);
  packets++;
  errors.push(Number(arrival - ideal));
  if (prev) {
    const d = Number(arrival - prev.arrival) / CLOCK_NS - (ts - prev.ts);
    jitter += (Math.abs(d) - jitter) / 16;
    sumJitter += jitter;
    samples++;
    if (jitter > maxJitter) maxJitter = jitter;
  }
  prev = { arrival, ts };
});

sock.bind(0, '127.0.0.1', () => process.send!({ port: sock.address().port }));
process.on('message', (m) => {
  if (m !== 'report') return;
  const sorted = [...errors].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const us = (j: number) => (j * CLOCK_NS) / 1000;
  process.send!({ packets, meanJitterUs: us(samples ? sumJitter / samples : 0), maxJitterUs: us(maxJitter), lastJitterUs: us(jitter), ptErrorP50: p(0.5), ptErrorP99: p(0.99), ptErrorMax: sorted[sorted.length - 1] ?? 0 },
    () => { sock.close(); process.disconnect(); });
});
