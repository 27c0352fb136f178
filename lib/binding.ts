import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Capabilities {
  /** How native timer threads wait: `timerfd` on Linux, `steady_clock` in the portable fallback. */
  wait: 'timerfd' | 'steady_clock';
  clock: 'monotonic';
}

/** The addon's exports; nothing else in the package touches the .node file. */
export interface NativeBinding {
  now(): bigint;
  capabilities(): Capabilities;
}

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function load(): NativeBinding {
  // RTIMER_BINDING points at another build of the addon (the portable fallback's tests use it).
  const override = process.env.RTIMER_BINDING;
  if (override) return require(override) as NativeBinding;
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
  return nodeGypBuild(root);
}

export const binding: NativeBinding = load();
