import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runRtp } from '../bench/rtp-scale.js';
import { parseRtpStreams } from '../bench/rtp-wireshark.js';

// Keeps bench/rtp-scale.ts and bench/rtp-wireshark.ts from rotting; no figure is checked against a bound.
describe('bench: RTP at scale (smoke)', function () {
  this.timeout(60_000);

  it('paces N streams with their own SSRC to the receiver, which reports each one\'s RFC 3550 jitter', async () => {
    const row = await runRtp('rtimer', 3, 1000);
    assert.equal(row.perStream.length, 3);
    assert.deepEqual(row.perStream.map((s) => s.ssrc).sort(), [0x52000000, 0x52000001, 0x52000002]);
    assert.equal(row.received, row.sent, 'loopback loses nothing');
    // Sequence gaps are the ticks the sender skipped (a loaded machine may skip some), never more.
    assert.ok(row.lost <= row.missed, `${row.lost} lost, ${row.missed} skipped`);
    // Order of magnitude: 1 s of 20 ms packets.
    for (const s of row.perStream) assert.ok(s.packets >= 10 && s.packets <= 60, String(s.packets));
    for (const s of row.perStream) assert.ok(s.meanJitterMs >= 0 && s.meanJitterMs <= s.maxJitterMs, JSON.stringify(s));
    assert.ok(row.senderCpuPct > 0);
  });

  it('reads tshark\'s -z rtp,streams report', () => {
    const streams = parseRtpStreams(readFileSync(new URL('./fixtures/tshark-rtp-streams.txt', import.meta.url), 'utf8'));
    assert.deepEqual(streams, [
      { ssrc: 0x52000001, packets: 46, lost: 0, meanJitterMs: 3.943, maxJitterMs: 5.999 },
      { ssrc: 0x52000000, packets: 46, lost: 2, meanJitterMs: 3.653, maxJitterMs: 5.311 },
    ]);
  });
});
