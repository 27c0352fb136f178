import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { RTimer, RTimerError, rtimerCollector, type RouteContext } from '../lib/index.js';
import { formatList } from '../lib/ctl/format.js';
import { EtcdCluster, etcdMissing } from './support/etcd.js';
import { waitFor } from './support/procs.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { duplicates, type Exec } from './support/cluster-nodes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runNode } from './support/run.js';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { loadEtcd3 } from '../lib/cluster/load-etcd3.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const missing = etcdMissing();
// 2 s: a loaded host answers keep-alives late; the fault tests use 1 s.
const TTL = 2000;

interface Run { node: string; timer: string; tick: number; term: number; own: readonly number[]; scheduled: bigint; wall: number }

describe('cluster (3-member etcd on loopback)', function () {
  if (missing) {
    it.skip(`cluster tests skipped: ${missing}`);
    return;
  }
  this.timeout(60_000);
  let etcd: EtcdCluster;
  let prefix = 0;
  const nodes: RTimer[] = [];
  before(async () => { etcd = await EtcdCluster.start(); });
  after(async () => { await etcd?.stop(); });
  afterEach(async () => { await Promise.all(nodes.splice(0).map((n) => n.stop())); });

  /** A node of a fresh prefix per test; its executions go to `log`. */
  function node(name: string, log: Run[], timers: (rt: RTimer) => void, pfx: string): RTimer {
    const record = (_: string, ctx: RouteContext) => {
      log.push({ node: name, timer: ctx.timer, tick: ctx.tick, term: ctx.cluster?.term ?? -1, own: ctx.ownTasks, scheduled: ctx.scheduled, wall: Date.now() });
    };
    const rt = new RTimer({ routes: { R: record }, cluster: { etcd: { hosts: etcd.hosts }, node: name, ttlMs: TTL, prefix: pfx } });
    rt.on('error', () => undefined);
    timers(rt);
    nodes.push(rt);
    return rt;
  }
  const fresh = () => `/rtimer-test/${process.pid}/${++prefix}`;

  it("'once': each tick of the shared grid runs on exactly one node, numbered as the wall clock says", async () => {
    const log: Run[] = [];
    const pfx = fresh();
    const timers = (rt: RTimer) => rt.timer({ name: 'DBSync', interval: '100ms', mode: 'inline', cluster: 'once' }).exec({ timer: 'DBSync', route: 'R' });
    const rts = ['a', 'b', 'c'].map((n) => node(n, log, timers, pfx));
    const acquired: string[] = [];
    for (const rt of rts) rt.on('cluster-acquired', (e) => acquired.push(e.node));
    await Promise.all(rts.map((rt) => rt.start()));
    assert.ok(await waitFor(() => log.length >= 15 && rts.some((rt) => rt.stats()[0].cluster!.role === 'leader'), 30_000),
      `${log.length} executions`);
    // Operations: list() and the metrics say who leads, on every node.
    const leaderRt = rts.find((rt) => rt.stats()[0].cluster!.role === 'leader')!;
    const leaderName = leaderRt.stats()[0].cluster!.node;
    for (const rt of rts) {
      const info = rt.list()[0].cluster!;
      const me = rt === leaderRt;
      assert.deepEqual([info.mode, info.role], ['once', me ? 'leader' : 'member']);
      if (me) assert.equal(info.leader, leaderName);
      const registry = new Registry();
      rtimerCollector(rt, { registry });
      const text = await registry.metrics();
      assert.match(text, new RegExp(`^rtimer_cluster_leader\\{timer="DBSync"\\} ${me ? 1 : 0}$`, 'm'));
      assert.match(text, /^rtimer_cluster_members 3$/m);
      assert.match(text, /^rtimer_fenced_total\{timer="DBSync"\} \d+$/m);
      if (me) assert.match(text, new RegExp(`^rtimer_cluster_term\\{timer="DBSync"\\} ${info.term}$`, 'm'));
    }
    assert.match(formatList(leaderRt.list()), new RegExp(`cluster once: ${leaderName} is leader, leader ${leaderName} \\(term \\d+\\)`));
    await Promise.all(rts.map((rt) => rt.stop()));
    const ticks = log.map((r) => r.tick);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick ran twice');
    assert.ok(acquired.length >= 1);
    // One term per leader; a later leader has a higher term (on a quiet host there is one of each).
    const terms = new Map<number, string>();
    for (const r of log) { assert.ok(r.term > 0); assert.equal(terms.get(r.term) ?? r.node, r.node); terms.set(r.term, r.node); }
    for (let i = 1; i < log.length; i++) assert.ok(log[i].term >= log[i - 1].term, 'terms never go back');
    // The global tick number is the wall-clock grid: tick × 100 ms ≈ the wall time of the run.
    for (const r of log) assert.ok(Math.abs(r.tick * 100 - r.wall) < 1000, `tick ${r.tick} vs wall ${r.wall}`);
    const stats = rts.map((rt) => rt.stats()[0]);
    assert.equal(stats.reduce((n, s) => n + s.executions, 0), log.length);
    for (const s of stats) {
      const c = s.cluster!;
      assert.equal(s.executions + s.missed + s.paused + c.standby + c.fenced, s.ticks, `${c.node}: the counters add up`);
    }
  });

  it("stop() of the leader resigns at once: another node runs the next ticks well within the ttl", async () => {
    const log: Run[] = [];
    const pfx = fresh();
    const timers = (rt: RTimer) => rt.timer({ name: 'sync', interval: '100ms', mode: 'inline', cluster: 'once' }).exec({ timer: 'sync', route: 'R' });
    const rts = ['a', 'b'].map((n) => node(n, log, timers, pfx));
    await Promise.all(rts.map((rt) => rt.start()));
    await waitFor(() => log.length >= 5, 20_000);
    const first = log[0].node;
    const leader = rts[first === 'a' ? 0 : 1];
    const stoppedAt = Date.now();
    await leader.stop();
    const lastOld = Math.max(...log.filter((r) => r.node === first).map((r) => r.tick));
    assert.ok(await waitFor(() => log.some((r) => r.node !== first), 10_000), 'the other node took over');
    const next = log.find((r) => r.node !== first)!;
    assert.ok(next.tick > lastOld, 'no tick of the old leader again');
    assert.ok(next.wall - stoppedAt < TTL, `handover took ${next.wall - stoppedAt} ms (ttl ${TTL} ms)`);
    assert.ok(next.term > log[0].term, 'the term grows with the change of leader');
  });

  it("'slices': every task runs once per slice cycle over the live nodes", async () => {
    const log: Run[] = [];
    const pfx = fresh();
    const timers = (rt: RTimer) => rt.timer({ name: 'shaper', interval: '100ms', mode: 'inline', ntasks: 30, nslices: 3, cluster: 'slices' })
      .exec({ timer: 'shaper', route: 'R' });
    const rts = ['a', 'b', 'c'].map((n) => node(n, log, timers, pfx));
    await Promise.all(rts.map((rt) => rt.start()));
    // Members join one ttl after their start: wait for cycles where all three have their share.
    await waitFor(() => new Set(log.slice(-9).map((r) => r.node)).size === 3, 20_000);
    const from = Math.max(...log.map((r) => r.tick)) + 1;
    await waitFor(() => log.some((r) => r.tick >= from + 14), 20_000);
    await Promise.all(rts.map((rt) => rt.stop()));
    const byCycle = new Map<number, number[]>();
    const start = from - (from % 3) + 3;
    for (const r of log) {
      if (r.tick < start || r.tick >= start + 9) continue;
      const c = Math.floor(r.tick / 3);
      byCycle.set(c, [...(byCycle.get(c) ?? []), ...r.own]);
    }
    assert.ok(byCycle.size >= 2, `${byCycle.size} full cycles`);
    for (const [c, tasks] of byCycle) {
      assert.deepEqual([...tasks].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i), `cycle ${c}: every task once`);
    }
    for (const rt of rts) assert.ok(rt.stats()[0].cluster!.standby >= 0);
  });

  it("mode=2: the parent leads and its workers run the claimed ticks; stats(), list() and metrics as in mode 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-cluster-n-'));
    const log = join(dir, 'runs.log');
    process.env.RTIMER_CLUSTER_LOG = log; // inherited by the workers forked at start()
    try {
      const pfx = fresh();
      const routes = new URL('./fixtures/cluster/routes.mjs', import.meta.url);
      const make = (name: string) => {
        const rt = new RTimer({ routes, cluster: { etcd: { hosts: etcd.hosts }, node: name, ttlMs: TTL, prefix: pfx } });
        rt.on('error', () => undefined);
        rt.timer({ name: 'dbsync', interval: '100ms', mode: 2, cluster: 'once' }).exec({ timer: 'dbsync', route: 'R' });
        nodes.push(rt);
        return rt;
      };
      const rts = [make('a'), make('b')];
      await Promise.all(rts.map((rt) => rt.start()));
      const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Exec) : []);
      assert.ok(await waitFor(() => runs().length >= 20, 30_000), `${runs().length} executions`);
      const leaderRt = rts.find((rt) => rt.stats()[0].cluster?.role === 'leader')!;
      assert.ok(leaderRt, 'one node leads');
      const leader = leaderRt.stats()[0].cluster!;
      // Only the leader's workers ran, both of them, in its term, on the wall-clock grid.
      const h = runs();
      assert.deepEqual([...new Set(h.map((e) => e.node))], [leader.node]);
      assert.deepEqual([...new Set(h.map((e) => e.worker))].sort(), [0, 1]);
      for (const e of h) { assert.equal(e.term, leader.term); assert.ok(Math.abs(e.tick * 100 - e.wall) < 1000, `tick ${e.tick} at ${e.wall}`); }
      assert.ok(leader.claims > 0);
      const info = leaderRt.list()[0].cluster!;
      assert.deepEqual([info.mode, info.role, info.leader], ['once', 'leader', leader.node]);
      const registry = new Registry();
      rtimerCollector(leaderRt, { registry });
      assert.match(await registry.metrics(), /^rtimer_cluster_leader\{timer="dbsync"\} 1$/m);
      await Promise.all(rts.map((rt) => rt.stop()));
      assert.deepEqual(duplicates(runs(), 'dbsync'), []);
      for (const rt of rts) {
        const s = rt.stats()[0];
        const c = s.cluster!;
        assert.equal(s.executions + s.missed + s.paused + c.standby + c.fenced, s.ticks, `${c.node}: the counters add up`);
      }
      // The follower's workers ticked and stood by.
      const follower = rts.find((rt) => rt !== leaderRt)!.stats()[0];
      assert.ok(follower.cluster!.standby > 0 && follower.executions === 0, JSON.stringify(follower.cluster));
    } finally {
      delete process.env.RTIMER_CLUSTER_LOG;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('steady state: the watch streams stay up (no watch re-created), claims one per tick, election re-checks once a ttl', async () => {
    // gRPC messages etcd received, by method, over every member.
    const received = async () => {
      const by = new Map<string, number>();
      for (const h of etcd.hosts) {
        const text = await (await fetch(`${h}/metrics`)).text();
        for (const m of text.matchAll(/^grpc_server_msg_received_total\{[^}]*grpc_method="(\w+)"[^}]*\} ([0-9.e+]+)$/gm)) by.set(m[1], (by.get(m[1]) ?? 0) + Number(m[2]));
      }
      return by;
    };
    const pfx = fresh();
    const rt = node('solo', [], (r) => { for (const n of ['a', 'b']) r.timer({ name: n, interval: '1s', cluster: 'once' }).exec({ timer: n, route: 'R' }); }, pfx);
    await rt.start();
    await waitFor(() => rt.stats().every((s) => s.executions > 0), 10_000);
    const before = await received();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    const after = await received();
    const secs = (Date.now() - t0) / 1000;
    const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    // A call deadline on the watch stream ended it every 667 ms: 3 watchers re-created each time (~25 here).
    assert.ok(d('Watch') <= 3, `${d('Watch')} watch requests in ${secs} s`);
    // Orders of magnitude: 2 claims a second, 2 election re-checks per ttl (2 s), a keep-alive per ttl/4.
    assert.ok(d('Txn') <= 4 * secs, `${d('Txn')} txns in ${secs} s`);
    assert.ok(d('Range') <= 3 * secs, `${d('Range')} ranges in ${secs} s`);
  });

  it('refuses a second live process with the same node name', async () => {
    const pfx = fresh();
    const timers = (rt: RTimer) => rt.timer({ name: 't', interval: 1, cluster: 'once' });
    const a = node('same', [], timers, pfx);
    await a.start();
    const b = node('same', [], timers, pfx);
    await assert.rejects(b.start(), (e: RTimerError) => e.code === 'ERR_RTIMER_CLUSTER_DUPLICATE_NODE' && /"same"/.test(e.message));
  });

  it('rtimer run --cluster --node: two CLI nodes share a cluster=once timer of a kamailio.cfg, each tick runs once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-cluster-'));
    try {
      const cfg = join(dir, 'k.cfg');
      writeFileSync(cfg, 'loadmodule "rtimer.so"\nmodparam("rtimer", "timer", "name=sync;interval=1;cluster=once")\nmodparam("rtimer", "exec", "timer=sync;route=HEARTBEAT")\n');
      const pfx = fresh();
      const args = (node: string) => [CLI, 'run', cfg, '--routes', 'examples/routes.mjs', '--duration', '4s', '-q',
        '--cluster', etcd.hosts.join(','), '--node', node, '--cluster-ttl', '1s', '--cluster-prefix', pfx];
      const [a, b] = await Promise.all([runNode(args('a'), { timeoutMs: 30_000 }), runNode(args('b'), { timeoutMs: 30_000 })]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const ticks = (out: string) => [...out.matchAll(/\[sync #(\d+)\] HEARTBEAT/g)].map((m) => Number(m[1]));
      const all = [...ticks(a.stdout), ...ticks(b.stdout)];
      assert.ok(all.length >= 2, `${all.length} ticks ran:\n${a.stdout}\n${b.stdout}`);
      assert.equal(new Set(all).size, all.length, 'a tick ran on both nodes');
      // Mode 0 too: ctx.tick is the global number of the 1 s wall-clock grid.
      for (const t of all) assert.ok(Math.abs(t - Date.now() / 1000) < 60, `tick ${t}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop() while start() still connects to an unreachable etcd: start() rejects at once, stop() resolves', async () => {
    const rt = new RTimer({ routes: { R: () => undefined }, cluster: { etcd: { hosts: ['http://127.0.0.1:1'] }, node: 'x', connectTimeoutMs: 60_000 } });
    rt.timer({ name: 't', interval: 1, cluster: 'once' }).exec({ timer: 't', route: 'R' });
    const starting = rt.start();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await rt.stop();
    await assert.rejects(starting, (e: RTimerError) => e.code === 'ERR_RTIMER_STOPPED');
    assert.ok(Date.now() - t0 < 10_000, `stop() took ${Date.now() - t0} ms`);
    assert.equal(rt.state, 'stopped');
  });

  it('rejects start() with ERR_RTIMER_CLUSTER_UNREACHABLE naming the hosts, within its connect timeout', async () => {
    const rt = new RTimer({ routes: { R: () => undefined }, cluster: { etcd: { hosts: ['http://127.0.0.1:1'] }, node: 'x', connectTimeoutMs: 500 } });
    rt.timer({ name: 't', interval: 1, cluster: 'once' }).exec({ timer: 't', route: 'R' });
    const t0 = Date.now();
    await assert.rejects(rt.start(), (e: RTimerError) => e.code === 'ERR_RTIMER_CLUSTER_UNREACHABLE' && e.message.includes('http://127.0.0.1:1'));
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(rt.state, 'idle');
  });
});

describe('cluster configuration', () => {
  it('importing node-rtimer, and running timers without cluster, does not load etcd3', () => {
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      `const { RTimer } = await import(${JSON.stringify(index)}); const { createRequire } = await import('node:module');
       const rt = new RTimer({ routes: { R: () => undefined }, cluster: { etcd: { hosts: ['http://127.0.0.1:1'] }, node: 'a' } });
       rt.timer({ name: 't', interval: 1 }).exec({ timer: 't', route: 'R' }); await rt.start(); await rt.stop();
       const cache = createRequire(import.meta.url).cache; console.log(Object.keys(cache).filter((k) => k.includes('etcd3')).length);`],
    { encoding: 'utf8' });
    assert.equal(out.trim(), '0');
  });
  it('without etcd3, a clear ERR_RTIMER_NO_ETCD3; an etcd3 that fails to load is reported with its cause', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-etcd3-'));
    try {
      const req = createRequire(join(dir, 'x.js'));
      assert.throws(() => req.resolve('etcd3'), 'the test directory must not see etcd3');
      assert.throws(() => loadEtcd3(req), (e: RTimerError) => e.code === 'ERR_RTIMER_NO_ETCD3' && /npm install etcd3/.test(e.message));
      mkdirSync(join(dir, 'node_modules', 'etcd3'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'etcd3', 'index.js'), 'require("grpc-not-installed");');
      assert.throws(() => loadEtcd3(createRequire(join(dir, 'x.js'))), (e: RTimerError) =>
        e.code === 'ERR_RTIMER_ETCD3_FAILED' && e.message.includes('grpc-not-installed') && e.cause instanceof Error);
      writeFileSync(join(dir, 'node_modules', 'etcd3', 'index.js'), 'module.exports = {};');
      assert.throws(() => loadEtcd3(createRequire(join(dir, 'x.js'))), (e: RTimerError) => e.code === 'ERR_RTIMER_ETCD3_FAILED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rtimer run: --node, --cluster-ttl, --cluster-prefix need --cluster; --cluster needs --node (usage errors, exit 2)', async () => {
    const runs = await Promise.all([
      ['--node', 'a'], ['--cluster', 'http://127.0.0.1:2379'], ['--cluster', 'http://127.0.0.1:2379', '--node', 'a', '--cluster-ttl', 'soon'],
    ].map((extra) => runNode([CLI, 'run', 'examples/kamailio.cfg', '--routes', 'examples/routes.mjs', ...extra])));
    for (const r of runs) assert.equal(r.code, 2, r.stderr);
    assert.match(runs[0].stderr, /--node goes with --cluster/);
    assert.match(runs[1].stderr, /--cluster needs --node/);
    assert.match(runs[2].stderr, /--cluster-ttl.*soon/);
  });

  it('refuses a cluster timer on an RTimer without the cluster option, naming the timer', async () => {
    const rt = new RTimer({ routes: { R: () => undefined } });
    rt.timer('name=dbsync;interval=10;cluster=once').exec('timer=dbsync;route=R');
    await assert.rejects(rt.start(), (e: RTimerError) => e.code === 'ERR_RTIMER_CLUSTER_NOT_CONFIGURED' && e.message.includes('"dbsync"'));
  });

  it('reads cluster=once|slices|all in Kamailio strings (mode=N too) and refuses other values', () => {
    const rt = new RTimer();
    rt.timer('name=a;interval=10;cluster=ONCE').timer('name=b;interval=10;cluster=all;ntasks=4;nslices=2');
    assert.equal(rt.timers()[0].cluster, 'once');
    assert.equal(rt.timers()[1].cluster, undefined);
    assert.throws(() => rt.timer('name=c;interval=10;cluster=twice'), (e: RTimerError) => e.code === 'ERR_RTIMER_CLUSTER_INVALID' && /twice/.test(e.message));
    assert.equal(rt.timer('name=d;interval=10;mode=2;cluster=once').timers()[2].cluster, 'once'); // mode=N: the parent coordinates
    assert.throws(() => rt.timer({ name: 'e', interval: 1, cluster: 'slices' }), (e: RTimerError) => e.code === 'ERR_RTIMER_NTASKS_INVALID');
  });

  it('checks the cluster option and names the offending value', () => {
    assert.throws(() => new RTimer({ cluster: { etcd: { hosts: ['nope'] }, node: 'a' } }), (e: RTimerError) => e.code === 'ERR_RTIMER_OPTION_INVALID' && /nope/.test(e.message));
    assert.throws(() => new RTimer({ cluster: { etcd: { hosts: ['http://127.0.0.1:2379'] }, node: 'a/b' } }), (e: RTimerError) => /a\/b/.test(e.message));
    assert.throws(() => new RTimer({ cluster: { etcd: { hosts: ['http://127.0.0.1:2379'] }, node: 'a', ttlMs: 10 } }), (e: RTimerError) => /ttlMs/.test(e.message));
  });
});
