import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run.js';

/** Builds the addon with RTIMER_PORTABLE=1 (the steady-clock fallback) in a scratch copy; returns the .node path. */
export function buildPortable(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtimer-portable-'));
  cpSync(join(ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
  cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/node-gyp/bin/node-gyp.js'), 'rebuild'], {
    cwd: dir, env: { ...process.env, RTIMER_PORTABLE: '1' }, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`portable build failed:\n${r.stdout}\n${r.stderr}`);
  return join(dir, 'build/Release/rtimer.node');
}
