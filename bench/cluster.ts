// npm run bench:cluster [-- --kills 20] [-- --seconds 10]
// Cluster mode on a 3-member etcd on loopback (Debian's etcd, started in a temp dir):
//  1. failover: SIGKILL of the `once` leader, time to the first tick on another node (p50/max), ttl 2 s and 3 s;
//  2. steady-state cost: a 1 ms `once` timer vs the same local timer, side by side (route-entry lateness, CPU);
//  3. etcd requests per minute with 10 `once` timers of 1 s (etcd's own gRPC counters).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdCluster, etcdMissing } from '../test/support/etcd.js';
import { history, NodeProcess } from '../test/support/cluster-nodes.js';

const argv = process.argv.slice(2);
const value = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const KILLS = Number(value('kills', '20'));
const SECONDS = Number(value('seconds', '10'));
const IV = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const why = etcdMissing();
if (why) { console.log(`cluster bench skipped: ${why}`); process.exit(0); }
console.log(`node-rtimer cluster bench on ${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}`);
const etcd = await EtcdCluster.start();
const dir = mkdtempSync(join(os.tmpdir(), 'rtimer-bench-cluster-'));
try {
  for (const ttlMs of KILLS > 0 ? [2000, 3000] : []) {
    const once = { name: 'dbsync', interval: `${IV}ms`, mode: 'inline', cluster: 'once' };
    const spec = { hosts: etcd.hosts, ttlMs, prefix: `/bench/${ttlMs}`, timers: [once], dir };
    const nodes = ['a', 'b', 'c'].map((x) => new NodeProcess(`${x}-${ttlMs}`, spec));
    await Promise.all(nodes.map((n) => n.ready));
    const runs = (since: number) => history(nodes).filter((e) => e.wall >= since);
    const failovers: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const t0 = Date.now();
      while (runs(t0).length === 0) await sleep(20);
      const victimPid = runs(t0).at(-1)!.pid;
      const victim = nodes.find((n) => n.pid === victimPid)!;
      const killedAt = Date.now();
      await victim.kill();
      nodes.push(new NodeProcess(`${victim.name}-${k}`, spec));
      for (;;) {
        const next = runs(killedAt).find((e) => e.pid !== victimPid);
        if (next) { failovers.push(next.wall - killedAt); break; }
        if (Date.now() - killedAt > 30_000) throw new Error('no failover within 30 s');
        await sleep(10);
      }
    }
    await Promise.all(nodes.map((n) => n.kill()));
    console.log(`failover after SIGKILL, ttl ${ttlMs} ms, interval ${IV} ms, ${KILLS} kills: p50 ${pct(failovers, 0.5)} ms, max ${Math.max(...failovers)} ms` +
      ` (all: ${failovers.join(' ')})`);
  }

  // Side by side: two processes at once, one with a 1 ms once timer (alone in its cluster), one local.
  const child = (timers: object[], cluster?: object) => new Promise<{ executions: number; lateness: { p50: number; p99: number; max: number }; cpuMs: number }>((resolve, reject) => {
    const p = spawn(process.execPath, [new URL('./cluster-child.mjs', import.meta.url).pathname], {
      env: { ...process.env, RTIMER_BENCH: JSON.stringify({ timers, cluster, durationMs: SECONDS * 1000 }) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
  });
  const t1 = { name: 't1', interval: '1ms', mode: 'inline' };
  const [clustered, local] = await Promise.all([
    child([{ ...t1, cluster: 'once' }], { etcd: { hosts: etcd.hosts }, node: 'solo', ttlMs: 2000, prefix: '/bench/steady' }),
    child([t1]),
  ]);
  const line = (name: string, r: typeof local) => `${name.padEnd(12)} executions ${r.executions}  route-entry lateness p50 ${r.lateness.p50.toFixed(1)} µs, p99 ${r.lateness.p99.toFixed(1)} µs, max ${r.lateness.max.toFixed(0)} µs, CPU ${(r.cpuMs / SECONDS / 10).toFixed(1)}%`;
  console.log(`1 ms timer, ${SECONDS} s, side by side:\n  ${line('once', clustered)}\n  ${line('local', local)}` +
    `\n  ratio once/local: p50 ${(clustered.lateness.p50 / local.lateness.p50).toFixed(2)}, p99 ${(clustered.lateness.p99 / local.lateness.p99).toFixed(2)}, CPU ${(clustered.cpuMs / local.cpuMs).toFixed(2)}`);

  // etcd requests: gRPC calls and stream messages etcd received, over all members.
  const run = promisify(execFile);
  const received = async () => {
    let sum = 0;
    for (const h of etcd.hosts) {
      const { stdout } = await run('curl', ['-s', `${h}/metrics`]);
      for (const m of stdout.matchAll(/^grpc_server_msg_received_total\{[^}]*\} ([0-9.e+]+)$/gm)) sum += Number(m[1]);
    }
    return sum;
  };
  const ten = Array.from({ length: 10 }, (_, i) => ({ name: `once${i}`, interval: '1s', cluster: 'once' }));
  const tenFast = Array.from({ length: 10 }, (_, i) => ({ name: `fast${i}`, interval: '1ms', mode: 'inline', cluster: 'once' }));
  for (const [what, timers] of [['10 once timers of 1 s', ten], ['10 once timers of 1 ms', tenFast]] as const) {
    const before = await received();
    const t0 = Date.now();
    const r = await child([...timers], { etcd: { hosts: etcd.hosts }, node: 'solo', ttlMs: 2000, prefix: `/bench/${what.replace(/ /g, '-')}` });
    const after = await received();
    const minutes = (Date.now() - t0) / 60_000;
    console.log(`${what}, 1 node, ttl 2 s: ${Math.round((after - before) / minutes)} etcd requests/min (gRPC messages received; start and stop included), ${r.executions} executions`);
  }
} finally {
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
