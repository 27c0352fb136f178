import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A timer as both sides report it: declaration order, routes in the order their `exec` lines came. */
export interface Timer { name: string; mode: number | string; intervalUs: number; routes: string[] }
export type Outcome = { ok: true; timers: Timer[] } | { ok: false; reason: string };

export const KAMAILIO_CANDIDATES = ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio'];
export const MODULES_DIR = '/usr/lib/x86_64-linux-gnu/kamailio/modules';

export function findKamailio(): string | undefined {
  return KAMAILIO_CANDIDATES.find((p) => existsSync(p));
}

/** `kamailio -v`'s version, e.g. '5.6.3'. */
export function kamailioVersion(bin: string): string {
  const out = execFileSync(bin, ['-v'], { encoding: 'utf8' });
  const m = /version: kamailio (\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the version from "${bin} -v": ${out.slice(0, 200)}`);
  return m[1];
}

/** Builds the LD_PRELOAD shim (rtimer-dump.c) into `dir`; returns its path. */
export function buildShim(dir: string): string {
  const src = join(dirname(fileURLToPath(import.meta.url)), 'rtimer-dump.c');
  const out = join(dir, 'rtimer-dump.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', out, src, '-ldl'], { stdio: 'pipe' });
  return out;
}

/**
 * Runs `kamailio -c -E -f main.cfg [-A DEF]...` in `dir` with the shim preloaded; Kamailio accepts when
 * it exits 0, and then the shim's dump is its timer list (reversed into declaration order).
 */
export function runKamailio(bin: string, shim: string, dir: string, defines: readonly string[],
  extraEnv: Readonly<Record<string, string>> = {}): Promise<Outcome> {
  const dump = join(dir, 'rtimer.dump');
  const args = ['-c', '-E', '-f', 'main.cfg', ...defines.flatMap((d) => ['-A', d])];
  const env = { ...process.env, ...extraEnv, LD_PRELOAD: shim, RTIMER_DUMP: dump, RTIMER_SO: join(MODULES_DIR, 'rtimer.so') };
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: dir, env, timeout: 20_000, encoding: 'utf8', maxBuffer: 4 << 20 }, (err, _stdout, stderr) => {
      if (err) {
        const lines = stderr.split('\n').filter((l) => /ERROR|CRITICAL/.test(l)).map((l) => l.replace(/^\s*\d+\(\d+\)\s*/, ''));
        resolve({ ok: false, reason: lines.slice(0, 3).join(' | ') || `exit ${String(err.code ?? err.signal)}` });
        return;
      }
      resolve({ ok: true, timers: existsSync(dump) ? parseDump(readFileSync(dump, 'utf8')) : [] });
    });
  });
}

const USEC = 1;

function parseDump(text: string): Timer[] {
  const timers: Timer[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'T') {
      const [, mode, flags, interval] = f.map(Number);
      timers.push({ name: f.slice(4).join('\t'), mode, intervalUs: flags & USEC ? interval : interval * 1e6, routes: [] });
    } else if (f[0] === 'R') {
      timers[timers.length - 1].routes.push(f.slice(1).join('\t'));
    }
  }
  for (const t of timers) t.routes.reverse();
  return timers.reverse();
}

/** Writes a case's files into `dir` (main.cfg and any included ones). */
export function writeCase(dir: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Runs `jobs` with at most `limit` at a time. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => { while (next < jobs.length) { const i = next++; out[i] = await jobs[i](); } };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}
