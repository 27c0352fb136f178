import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './run.js';

const NODE = join(ROOT, 'test/fixtures/cluster/node.mjs');
const live = new Set<ChildProcess>();
process.on('exit', () => { for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

/** One execution, as a node logged it. */
export interface Exec { node: string; pid: number; worker: number; timer: string; tick: number; term: number; own: number[]; mono: number; wall: number }

export interface NodeSpec { hosts: string[]; ttlMs: number; prefix: string; timers: object[]; dir: string }

/** A node process (test/fixtures/cluster/node.mjs) logging its executions to `<dir>/<name>.log`. */
export class NodeProcess {
  readonly log: string;
  proc: ChildProcess;
  out = '';
  readonly ready: Promise<void>;

  constructor(readonly name: string, spec: NodeSpec) {
    this.log = join(spec.dir, `${name}.log`);
    const env = { ...process.env, RTIMER_NODE: JSON.stringify({ ...spec, node: name, log: this.log }) };
    this.proc = spawn(process.execPath, [NODE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    this.proc.once('exit', () => live.delete(this.proc));
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node ${name} did not start: ${this.out}`)), 30_000);
      this.proc.stdout!.on('data', (d) => { this.out += d; if (this.out.includes('ready\n')) { clearTimeout(t); resolve(); } });
      this.proc.stderr!.on('data', (d) => { this.out += d; });
      this.proc.once('exit', (code, sig) => { clearTimeout(t); reject(new Error(`node ${name} exited (${code ?? sig}): ${this.out}`)); });
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number { return this.proc.pid!; }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(sig);
    await exited;
  }

  signal(sig: NodeJS.Signals): void { this.proc.kill(sig); }

  /** Its timers' figures (test/fixtures/cluster/node.mjs prints them on SIGUSR2). */
  async stats(): Promise<{ name: string; ticks: number; executions: number; missed: number; paused: number;
    cluster?: { role: string; standby: number; fenced: number; rebalanced: number } }[]> {
    const from = this.out.length;
    this.proc.kill('SIGUSR2');
    const end = Date.now() + 10_000;
    for (;;) {
      const m = /^stats (.*)\n/m.exec(this.out.slice(from));
      if (m) return JSON.parse(m[1]);
      if (Date.now() > end) throw new Error(`node ${this.name} printed no stats: ${this.out.slice(from)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every node's log, merged and sorted by wall time. */
export function history(nodes: { log: string }[]): Exec[] {
  const all: Exec[] = [];
  for (const log of new Set(nodes.map((n) => n.log))) {
    if (!existsSync(log)) continue;
    for (const line of readFileSync(log, 'utf8').split('\n')) if (line) all.push(JSON.parse(line) as Exec);
  }
  return all.sort((a, b) => a.wall - b.wall);
}

/**
 * The `once` guarantee: no tick of `timer` ran twice, on any node, in any term. A mode=N node runs
 * each tick on each of its workers (as a local mode=N timer does): a tick is a duplicate when it ran
 * on two nodes, or twice on one worker.
 */
export function duplicates(h: Exec[], timer: string): number[] {
  const node = new Map<number, string>();
  const seen = new Set<string>();
  const twice: number[] = [];
  for (const e of h) {
    if (e.timer !== timer) continue;
    const key = `${e.tick}/${e.worker}`;
    if (seen.has(key) || (node.get(e.tick) ?? e.node) !== e.node) twice.push(e.tick);
    seen.add(key);
    node.set(e.tick, e.node);
  }
  return twice;
}

/** The longest run of ticks of `timer` nobody ran, between `fromTick` and `toTick`, in ms. */
export function longestGapMs(h: Exec[], timer: string, intervalMs: number, fromTick = -Infinity, toTick = Infinity): number {
  const ticks = [...new Set(h.filter((e) => e.timer === timer && e.tick >= fromTick && e.tick <= toTick).map((e) => e.tick))].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, (ticks[i] - ticks[i - 1]) * intervalMs);
  return gap;
}

/** `slices`: for each full cycle of ticks [c·nslices, (c+1)·nslices) within the range, the tasks run, sorted. */
export function tasksByCycle(h: Exec[], timer: string, nslices: number, fromTick: number, toTick: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const e of h) {
    if (e.timer !== timer) continue;
    const c = Math.floor(e.tick / nslices);
    if (c * nslices < fromTick || (c + 1) * nslices - 1 > toTick) continue;
    out.set(c, [...(out.get(c) ?? []), ...e.own]);
  }
  for (const v of out.values()) v.sort((a, b) => a - b);
  return out;
}
