import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/run.js';
import { installedProject, run } from './support/packed.js';

// The quick start, with an inline timer beside the shared one, run by Bun and Deno (devDependencies,
// installed from npm) against the packed package. Bun has no uv_poll (it panicked) and Deno's fired
// once (it went silent): the engine must pick the thread wake there by itself.
const SMOKE = `
import { RTimer } from 'node-rtimer';
const counts = { inline: 0, shared: 0 };
const rt = new RTimer({ routes: { ONTIMER(module, ctx) { counts[ctx.timer]++; } } });
rt.timer({ name: 'inline', interval: '10ms', mode: 'inline' }).exec('timer=inline;route=ONTIMER');
rt.timer({ name: 'shared', interval: 1 }).exec('timer=shared;route=ONTIMER');
rt.on('error', (err) => console.error(err.code, err.message));
await rt.start();
await new Promise((r) => setTimeout(r, 500));
const firstHalf = counts.inline;
await new Promise((r) => setTimeout(r, 700));
await rt.stop();
const [inline, shared] = rt.stats();
console.log(JSON.stringify({ firstHalf, secondHalf: counts.inline - firstHalf, shared: counts.shared, wakeBy: inline.native?.wakeBy,
  identity: [inline, shared].every((s) => s.executions + s.missed + s.paused === s.ticks) }));
`;

// The packages' postinstall puts the binary behind node_modules/.bin; should npm hold that script back
// (npm 11 install-script approval), the binary is still in the platform package.
const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
const firstRunnable = (...bins: string[]) => bins.find((b) => existsSync(b) && run(b, ['--version']).code === 0) ?? bins[0];
const RUNTIMES: { name: string; bin: () => string; args: string[] }[] = [
  { name: 'Bun', bin: () => firstRunnable(join(ROOT, 'node_modules/.bin/bun'), join(ROOT, `node_modules/@oven/bun-linux-${arch}/bin/bun`)), args: ['smoke.mjs'] },
  { name: 'Deno', bin: () => firstRunnable(join(ROOT, 'node_modules/.bin/deno'), join(ROOT, `node_modules/@deno/linux-${process.arch}-glibc/deno`)),
    args: ['run', '--allow-all', 'smoke.mjs'] },
];

describe('other runtimes: the quick start under Bun and Deno', function () {
  this.timeout(600_000);
  for (const rtm of RUNTIMES) {
    it(`${rtm.name}: ticks keep coming, on the thread wake it picks by itself`, function () {
      const bin = rtm.bin();
      if (!existsSync(bin)) {
        assert.ok(process.env.CI !== 'true', `${bin} is missing (a devDependency): under CI this test must run`);
        console.log(`      (skipped: ${bin} missing; npm install installs it)`);
        this.skip();
      }
      const dir = installedProject().dir;
      writeFileSync(join(dir, 'smoke.mjs'), SMOKE);
      const env = { ...process.env, RTIMER_WAKE: '', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
      const r = run(bin, rtm.args, { cwd: dir, env, timeout: 60_000 });
      assert.equal(r.code, 0, `${rtm.name} exited ${r.code ?? r.signal}:\n${r.out}\n${r.err}`);
      const out = JSON.parse(r.out.trim().split('\n').pop()!);
      // 10 ms ticks: about 50 then 70; only their presence is asserted, the machine is shared.
      assert.ok(out.firstHalf >= 5, `${out.firstHalf} ticks in the first 0.5 s`);
      assert.ok(out.secondHalf >= 5, `${out.secondHalf} ticks in the next 0.7 s: ticks stopped coming`);
      assert.equal(out.shared, 1, 'the shared (mode 0) 1 s timer ticked once');
      assert.equal(out.wakeBy, 'thread');
      assert.equal(out.identity, true);
    });
  }
});
