import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run.js';

/**
 * The package as users get it, made once per mocha run and shared by every test that needs it
 * (npm pack builds the prebuilds: too slow to repeat per file). Removed when the process exits.
 */

export interface Ran { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Ran {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 240_000, maxBuffer: 1 << 26 });
  return { code: r.status, signal: r.signal, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

let scratch: string | undefined;
/** A temporary folder for the whole run, removed at exit. */
export function scratchDir(): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-pack-'));
    scratch = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let tarball: string | undefined;
/**
 * `npm pack` of this checkout (prebuilds included), once. RTIMER_TEST_TARBALL=<file.tgz> uses a
 * tarball packed before, to iterate on a test without packing again (never under CI).
 */
export function packedTarball(): string {
  if (tarball === undefined && process.env.RTIMER_TEST_TARBALL && process.env.CI !== 'true') tarball = process.env.RTIMER_TEST_TARBALL;
  if (tarball === undefined) {
    const r = run('npm', ['pack', '--pack-destination', scratchDir()]);
    if (r.code !== 0) throw new Error(`npm pack failed:\n${r.err}`);
    tarball = join(scratchDir(), r.out.trim().split('\n').pop()!);
  }
  return tarball;
}

let project: { dir: string; install: Ran } | undefined;
/**
 * An empty ESM project with the packed tarball installed by `npm install --ignore-scripts` (as npm 11
 * does until install scripts are approved), prom-client beside it, and this checkout's @types/node
 * for compiling snippets against the installed typings.
 */
export function installedProject(): { dir: string; install: Ran } {
  if (project === undefined) {
    const dir = join(scratchDir(), 'app-ignore-scripts');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    const install = run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', packedTarball(), 'prom-client@15'], { cwd: dir });
    if (install.code !== 0) throw new Error(`npm install failed:\n${install.out}${install.err}`);
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
    project = { dir, install };
  }
  return project;
}
