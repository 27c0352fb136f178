// The receiver of bench/rtp-scale.ts, in its own process: one UDP socket on 127.0.0.1, any number of
// RTP streams told apart by SSRC. For each stream, RFC 3550 §6.4.1 interarrival jitter as a receiver
// computes it (J += (|D| − J)/16, D from arrival times in RTP timestamp units, 8 kHz) and, as
// Wireshark's RTP analysis reports it, its mean over the stream's packets and its max; packets lost
// (sequence gaps). Arrival is the 'message' event's time: a Node receiver's own delays count, which is
// what bench/rtp-wireshark.ts checks against tshark's kernel timestamps.
import { createSocket } from 'node:dgram';

const UNIT_NS = 125_000; // one 8 kHz RTP timestamp unit

interface Stream { ssrc: number; packets: number; lost: number; nextSeq: number; prevArrival: number; prevTs: number; j: number; sumJ: number; maxJ: number }

export interface StreamJitter { ssrc: number; packets: number; lost: number; meanJitterMs: number; maxJitterMs: number }
export interface ReceiverReport { port: number; streams: StreamJitter[]; rcvbuf: number }

const streams = new Map<number, Stream>();
const sock = createSocket('udp4');

sock.on('message', (pkt) => {
  const arrival = Number(process.hrtime.bigint()) / UNIT_NS;
  if (pkt.length < 12 || (pkt[0] & 0xc0) !== 0x80) return;
  const seq = pkt.readUInt16BE(2);
  const ts = pkt.readUInt32BE(4);
  const ssrc = pkt.readUInt32BE(8);
  let s = streams.get(ssrc);
  if (!s) {
    s = { ssrc, packets: 0, lost: 0, nextSeq: seq, prevArrival: arrival, prevTs: ts, j: 0, sumJ: 0, maxJ: 0 };
    streams.set(ssrc, s);
  } else {
    // D(i−1, i) = (Rj − Ri) − (Sj − Si); the timestamp difference taken modulo 2^32.
    const d = (arrival - s.prevArrival) - ((ts - s.prevTs) | 0);
    s.j += (Math.abs(d) - s.j) / 16;
    s.prevArrival = arrival;
    s.prevTs = ts;
    // Wireshark's mean and max are over the packets that update J (not the first).
    s.sumJ += s.j;
    if (s.j > s.maxJ) s.maxJ = s.j;
  }
  s.lost += (seq - s.nextSeq) & 0xffff;
  s.nextSeq = (seq + 1) & 0xffff;
  s.packets++;
});

sock.bind(0, '127.0.0.1', () => {
  // A thousand streams due at once arrive as a burst: room for them, or the kernel drops the tail.
  try { sock.setRecvBufferSize(16 << 20); } catch { /* keeps the default */ }
  process.send!({ port: sock.address().port });
});

process.on('message', (m) => {
  if (m !== 'report') return;
  const ms = (units: number) => (units * UNIT_NS) / 1e6;
  const report: ReceiverReport = {
    port: sock.address().port,
    rcvbuf: sock.getRecvBufferSize(),
    streams: [...streams.values()].map((s) => ({ ssrc: s.ssrc, packets: s.packets, lost: s.lost,
      meanJitterMs: ms(s.packets > 1 ? s.sumJ / (s.packets - 1) : 0), maxJitterMs: ms(s.maxJ) })),
  };
  process.send!(report, () => { sock.close(); process.disconnect(); });
});
