// Checks the receiver of bench/rtp-scale.ts against Wireshark: captures one run's loopback stream with
// tshark, has tshark's RTP analysis (`-z rtp,streams`) compute each stream's jitter from the capture's
// kernel timestamps, and compares its mean jitter with the receiver's, stream by stream (by SSRC).
//
//   npx tsx bench/rtp-wireshark.ts [--candidate rtimer] [--streams 10] [--duration 10] [--raw]
//
// --raw also prints tshark's own report.
//
// Needs tshark (Debian `tshark`) and the right to capture on lo (root, or the wireshark group).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRtp } from './rtp-scale.js';
import type { RtpCandidate } from './rtp-scale-sender.js';

export interface TsharkStream { ssrc: number; packets: number; lost: number; meanJitterMs: number; maxJitterMs: number }

/**
 * Reads `tshark -q -z rtp,streams` (Wireshark 3.x/4.x): one line per stream, ... SSRC Payload Pkts
 * Lost (pct) MinDelta MeanDelta MaxDelta MinJitter MeanJitter MaxJitter [Problem?].
 */
export function parseRtpStreams(text: string): TsharkStream[] {
  const out: TsharkStream[] = [];
  const line = /\s(0x[0-9a-fA-F]+)\s+(.+?)\s+(\d+)\s+(-?\d+)\s+\(\s*-?[\d.]+%\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (m) out.push({ ssrc: Number(m[1]), packets: Number(m[3]), lost: Number(m[4]), meanJitterMs: Number(m[9]), maxJitterMs: Number(m[10]) });
  }
  return out;
}

async function main(argv: string[]) {
  const arg = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const candidate = arg('candidate', 'rtimer') as RtpCandidate;
  const streams = Number(arg('streams', '10'));
  const durationMs = Number(arg('duration', '10')) * 1000;
  if (spawnSync('tshark', ['-v']).status !== 0) throw new Error('tshark not found: apt-get install tshark');
  const dir = mkdtempSync(join(tmpdir(), 'rtimer-rtp-pcap-'));
  const pcap = join(dir, 'rtp.pcapng');
  let capture: ReturnType<typeof spawn> | null = null;
  let port = 0;
  try {
    const row = await runRtp(candidate, streams, durationMs, false, async (p) => {
      port = p;
      capture = spawn('tshark', ['-i', 'lo', '-f', `udp port ${p}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
      // tshark says so on stderr once it captures.
      await new Promise<void>((resolve, reject) => {
        let err = '';
        capture!.stderr!.on('data', (d) => { err += d; if (/Capturing on/.test(err)) resolve(); });
        capture!.once('exit', (code) => reject(new Error(`tshark exited (${code}): ${err}`)));
      });
    });
    const c = capture as ReturnType<typeof spawn> | null;
    await new Promise<void>((resolve) => { c!.once('exit', () => resolve()); c!.kill('SIGINT'); });
    const r = spawnSync('tshark', ['-r', pcap, '-d', `udp.port==${port},rtp`, '-q', '-z', 'rtp,streams'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tshark -r: ${r.stderr}`);
    if (argv.includes('--raw')) console.log(r.stdout);
    const ws = parseRtpStreams(r.stdout);
    const byssrc = new Map(ws.map((s) => [s.ssrc, s]));
    console.log(`${candidate}, ${streams} streams, ${durationMs / 1000} s; receiver (Node, 'message' event time) vs Wireshark (capture time), ms`);
    console.log('| SSRC | packets rx / ws | mean jitter rx | mean jitter ws | rx − ws | max jitter rx / ws |\n|---|---|---|---|---|---|');
    const diffs: number[] = [];
    const ratios: number[] = [];
    for (const s of row.perStream) {
      const w = byssrc.get(s.ssrc);
      if (!w) { console.log(`| 0x${s.ssrc.toString(16)} | ${s.packets} / – | | | | |`); continue; }
      diffs.push(s.meanJitterMs - w.meanJitterMs);
      if (w.meanJitterMs > 0) ratios.push(s.meanJitterMs / w.meanJitterMs);
      console.log(`| 0x${s.ssrc.toString(16)} | ${s.packets} / ${w.packets} | ${s.meanJitterMs.toFixed(3)} | ${w.meanJitterMs.toFixed(3)} | ` +
        `${(s.meanJitterMs - w.meanJitterMs).toFixed(3)} | ${s.maxJitterMs.toFixed(3)} / ${w.maxJitterMs.toFixed(3)} |`);
    }
    const med = (xs: number[]) => { const a = [...xs].sort((x, y) => x - y); return a.length ? a[Math.floor((a.length - 1) / 2)] : NaN; };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`\nstreams matched: ${diffs.length} of ${row.perStream.length} (Wireshark saw ${ws.length}); ` +
      `mean jitter over streams: receiver ${mean(row.perStream.map((s) => s.meanJitterMs)).toFixed(3)} ms, Wireshark ${mean(ws.map((s) => s.meanJitterMs)).toFixed(3)} ms; ` +
      `receiver − Wireshark per stream: median ${med(diffs).toFixed(3)} ms, ratio median ${med(ratios).toFixed(2)}`);
  } finally {
    (capture as ReturnType<typeof spawn> | null)?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
