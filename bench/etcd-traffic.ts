// etcd requests by kind for 10 cluster timers on one node: gRPC messages etcd received, per method,
// summed over the members, for a steady `SECONDS`-long window (start and stop excluded).
// npm run bench:etcd-traffic -- [seconds=60] [interval=1s] [once|slices]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RTimer } from '../dist/index.js';
import { EtcdCluster } from '../test/support/etcd.js';

const run = promisify(execFile);
const SECONDS = Number(process.argv[2] ?? 60);
const INTERVAL = process.argv[3] ?? '1s';
const KIND = (process.argv[4] ?? 'once') as 'once' | 'slices';

async function received(hosts: string[]): Promise<Map<string, number>> {
  const by = new Map<string, number>();
  for (const h of hosts) {
    const { stdout } = await run('curl', ['-s', `${h}/metrics`]);
    for (const m of stdout.matchAll(/^grpc_server_msg_received_total\{([^}]*)\} ([0-9.e+]+)$/gm)) {
      const method = /grpc_method="([^"]+)"/.exec(m[1])?.[1] ?? '?';
      by.set(method, (by.get(method) ?? 0) + Number(m[2]));
    }
  }
  return by;
}

const etcd = await EtcdCluster.start();
try {
  const rt = new RTimer({ routes: { R: () => undefined }, cluster: { etcd: { hosts: etcd.hosts }, node: 'solo', ttlMs: 2000, prefix: '/traffic' } });
  for (let i = 0; i < 10; i++) {
    rt.timer({ name: `t${i}`, interval: INTERVAL, ...(INTERVAL.endsWith('ms') ? { mode: 'inline' } : {}), cluster: KIND,
      ...(KIND === 'slices' ? { ntasks: 100, nslices: 10 } : {}) }).exec({ timer: `t${i}`, route: 'R' });
  }
  await rt.start();
  await new Promise((r) => setTimeout(r, 5000)); // leadership settled
  const before = await received(etcd.hosts);
  const claims0 = rt.stats().reduce((n, s) => n + (s.cluster?.claims ?? 0), 0);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const after = await received(etcd.hosts);
  const claims = rt.stats().reduce((n, s) => n + (s.cluster?.claims ?? 0), 0) - claims0;
  await rt.stop();
  const perMin = (x: number) => Math.round((x * 60) / SECONDS);
  let total = 0;
  const rows: [string, number][] = [];
  for (const [k, v] of after) { const d = v - (before.get(k) ?? 0); if (d > 0) { rows.push([k, d]); total += d; } }
  rows.sort((a, b) => b[1] - a[1]);
  console.log(`10 ${KIND} timers of ${INTERVAL}, ttl 2 s, 1 node, ${SECONDS} s steady: ${perMin(total)} requests/min (claims sent by the node: ${perMin(claims)}/min)`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(14)} ${String(perMin(v)).padStart(6)}/min`);
} finally {
  await etcd.stop();
}
