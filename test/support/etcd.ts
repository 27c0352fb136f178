import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ETCD = process.env.RTIMER_ETCD ?? '/usr/bin/etcd';
const ETCDCTL = process.env.RTIMER_ETCDCTL ?? '/usr/bin/etcdctl';

/**
 * Whether the cluster tests can run: Debian's etcd-server and etcd-client. Under CI (.ci/run
 * installs them) a missing etcd is a failure, not a skip.
 */
export function etcdMissing(): string | null {
  const missing = [ETCD, ETCDCTL].filter((f) => !existsSync(f));
  if (missing.length === 0) return null;
  const why = `${missing.join(' and ')} not found (apt-get install etcd-server etcd-client)`;
  if (process.env.CI === 'true') throw new Error(`cluster tests need etcd under CI: ${why}`);
  return why;
}

/** A free loopback port (the kernel's pick; closed again before etcd binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

const live = new Set<ChildProcess>();
// No orphan etcd, whatever happens to the test run.
process.on('exit', () => { for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

interface MemberSpec { name: string; client: number; peer: number; dir: string }

/**
 * A 3-member etcd cluster on loopback ports in a temp dir, with fast raft timing (heartbeat 50 ms,
 * election 500 ms): leases of 1 s are allowed and a lost raft leader is replaced within ~1 s.
 */
export class EtcdCluster {
  readonly dir: string;
  readonly members: MemberSpec[] = [];
  readonly #procs: (ChildProcess | null)[] = [];
  readonly #token = `rtimer-${process.pid}-${Date.now()}`;

  private constructor(dir: string) { this.dir = dir; }

  static async start(size = 3): Promise<EtcdCluster> {
    const c = new EtcdCluster(mkdtempSync(join(tmpdir(), 'rtimer-etcd-')));
    for (let i = 0; i < size; i++) {
      c.members.push({ name: `m${i}`, client: await freePort(), peer: await freePort(), dir: join(c.dir, `m${i}`) });
    }
    try {
      for (let i = 0; i < size; i++) c.#spawn(i, 'new');
      await c.ready();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get hosts(): string[] { return this.members.map((m) => `http://127.0.0.1:${m.client}`); }

  #spawn(i: number, state: 'new' | 'existing'): void {
    const m = this.members[i];
    const cluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peer}`).join(',');
    const p = spawn(ETCD, [
      '--name', m.name, '--data-dir', m.dir,
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', cluster, '--initial-cluster-state', state, '--initial-cluster-token', this.#token,
      '--heartbeat-interval', '50', '--election-timeout', '500', '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'ignore'] });
    live.add(p);
    p.once('exit', () => live.delete(p));
    this.#procs[i] = p;
  }

  pid(i: number): number { return this.#procs[i]?.pid ?? 0; }

  /** Resolves once every running member answers a health check (30 s at most). */
  async ready(indexes = this.members.map((_, i) => i).filter((i) => this.#procs[i])): Promise<void> {
    const end = Date.now() + 30_000;
    const endpoints = indexes.map((i) => this.hosts[i]).join(',');
    for (;;) {
      try {
        await run(ETCDCTL, ['--endpoints', endpoints, '--command-timeout=2s', 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } });
        return;
      } catch (err) {
        if (Date.now() > end) throw new Error(`etcd did not become healthy: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Index of the raft leader, as the running members report it. */
  async leader(): Promise<number> {
    const up = this.members.map((_, i) => i).filter((i) => this.#procs[i]);
    const { stdout } = await run(ETCDCTL, ['--endpoints', up.map((i) => this.hosts[i]).join(','), '--command-timeout=2s',
      'endpoint', 'status', '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } });
    const rows = JSON.parse(stdout) as { Endpoint: string; Status: { header: { member_id: number | string }; leader: number | string } }[];
    const lead = String(rows[0].Status.leader);
    const row = rows.find((r) => String(r.Status.header.member_id) === lead);
    if (!row) throw new Error('no etcd leader');
    return this.hosts.indexOf(row.Endpoint);
  }

  /** SIGKILLs member i. */
  async kill(i: number): Promise<void> {
    const p = this.#procs[i];
    this.#procs[i] = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  signal(i: number, sig: 'SIGSTOP' | 'SIGCONT'): void { this.#procs[i]?.kill(sig); }

  /** Starts a killed member again on its data dir. */
  restart(i: number): void { this.#spawn(i, 'existing'); }

  /** Kills every member and removes the data. */
  async stop(): Promise<void> {
    await Promise.all(this.#procs.map(async (p, i) => { if (p) { p.kill('SIGCONT'); await this.kill(i); } }));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
