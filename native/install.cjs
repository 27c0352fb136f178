// `npm install` step: nothing to do when a prebuilt binary (or a local build) loads on this
// platform; otherwise build from source with node-gyp, or, with PREBUILDS_ONLY=1, fail at once.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const nodeGypBuild = require('node-gyp-build');

const root = path.join(__dirname, '..');
try {
  require(nodeGypBuild.resolve(root));
  process.exit(0);
} catch (_) {
  // no usable binary: fall through
}

const target = `${process.platform}-${process.arch}${process.platform === 'linux' ? ` (${require('node:fs').existsSync('/etc/alpine-release') ? 'musl' : 'glibc'})` : ''}`;
if (process.env.PREBUILDS_ONLY === '1' || process.env.npm_config_prebuilds_only === 'true') {
  console.error(`node-rtimer: no prebuilt binary for ${target}, and PREBUILDS_ONLY is set, so no source build is tried.\n` +
    'Unset PREBUILDS_ONLY to build from source (needs a C++17 compiler, make and Python 3), or see README "Troubleshooting".');
  process.exit(1);
}
// A git checkout has no prebuilds/ at all (they ship in the npm package only): say so, not "no match".
const why = require('node:fs').existsSync(path.join(root, 'prebuilds'))
  ? `no prebuilt binary for ${target}`
  : 'no prebuilds/ folder here (a git checkout: prebuilt binaries ship in the npm package only)';
console.error(`node-rtimer: ${why}; building from source with node-gyp (needs a C++17 compiler, make and Python 3).`);
const r = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
