import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs node with args in the repo root; kills it after `timeoutMs` so a hang fails the test. */
export function runNode(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; onStdout?: (s: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; opts.onStdout?.(stdout, child); });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** Writes numbered kamailio.cfg files into the folder `dir()` names at call time (set in a hook). */
export function configWriter(dir: () => string): (text: string) => string {
  let n = 0;
  return (text) => {
    const file = join(dir(), `kamailio-${++n}.cfg`);
    writeFileSync(file, withModules(text));
    return file;
  };
}

/**
 * The text with a `loadmodule` in front for each module its modparam lines name but it does not load
 * (Kamailio reads a module's parameters only once it is loaded), on its first line so that line numbers stay.
 */
export function withModules(text: string): string {
  const named = new Set([...text.matchAll(/modparamx?\(\s*["']([A-Za-z0-9_]+)["']/g)].map((m) => m[1].toLowerCase()));
  const missing = [...named].filter((m) => !new RegExp(`loadmodule\\s*["']${m}(\\.so)?["']`).test(text));
  return missing.map((m) => `loadmodule "${m}.so" `).join('') + text;
}
