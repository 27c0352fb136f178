import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runNode } from './support/run.js';

let dir = '';
let files = 0;

function tmpCfg(text: string): string {
  const file = join(dir, `kamailio-${++files}.cfg`);
  writeFileSync(file, text);
  return file;
}

describe('rtimer CLI', () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check prints the resolved configuration as JSON and exits 0', async () => {
    const r = await runNode([CLI, 'check', 'examples/kamailio.cfg']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.timers) && out.timers.length > 0);
    for (const t of out.timers) {
      assert.deepEqual(Object.keys(t), ['name', 'mode', 'interval', 'unit', 'intervalUs', 'routes']);
    }
    assert.deepEqual(out.timers.find((t: { name: string }) => t.name === 'heartbeat'),
      { name: 'heartbeat', mode: 0, interval: 1, unit: 's', intervalUs: 1_000_000, routes: ['HEARTBEAT', 'ksr_rtimer'] });
  });

  it('check gives units and the mode Kamailio would use', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=a;interval=100u")\nmodparam("rtimer", "timer", "name=b;interval=20ms;mode=3")\n' +
      'modparam("rtimer", "timer", "name=c")\nmodparam("rtimer", "exec", "timer=c;route=R2")\nmodparam("rtimer", "exec", "timer=c;route=R1")\n');
    const r = await runNode([CLI, 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { timers: [
      { name: 'a', mode: 1, interval: 100, unit: 'us', intervalUs: 100, routes: [] },
      { name: 'b', mode: 3, interval: 20, unit: 'ms', intervalUs: 20_000, routes: [] },
      { name: 'c', mode: 0, interval: 120, unit: 's', intervalUs: 120_000_000, routes: ['R2', 'R1'] },
    ] });
  });

  it('check exits 1 naming the file, the line and the offending key', async () => {
    const file = tmpCfg('loadmodule "rtimer.so"\n\nmodparam("rtimer", "timer", "name=ta;intrval=10")\n');
    const r = await runNode([CLI, 'check', file]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^rtimer: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: .*"intrval"`));
  });

  it('check --routes verifies every route exists in the module', async () => {
    const ok = await runNode([CLI, 'check', 'examples/kamailio.cfg', '--routes', 'examples/routes.mjs']);
    assert.equal(ok.code, 0, ok.stderr);
    const file = tmpCfg('modparam("rtimer", "timer", "name=t;interval=1")\nmodparam("rtimer", "exec", "timer=t;route=NOPE")\n');
    const bad = await runNode([CLI, 'check', file, '--routes', 'examples/routes.mjs']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /route "NOPE" of timer "t"/);
  });

  it('usage errors exit 2; an unreadable config exits 1', async () => {
    assert.equal((await runNode([CLI])).code, 2);
    assert.equal((await runNode([CLI, 'frobnicate', 'x.cfg'])).code, 2);
    assert.equal((await runNode([CLI, 'check', 'examples/kamailio.cfg', '--routes'])).code, 2);
    const missing = await runNode([CLI, 'check', 'nope.cfg']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read config "nope.cfg"/);
    const noRoutes = await runNode([CLI, 'run', 'examples/kamailio.cfg']);
    assert.equal(noRoutes.code, 1);
    assert.match(noRoutes.stderr, /--routes/);
  });

  it('run executes the routes for the duration, then prints a summary and exits 0', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=fast;interval=1")\nmodparam("rtimer", "exec", "timer=fast;route=HEARTBEAT")\n');
    const r = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '2.5s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/HEARTBEAT/g) ?? []).length, 2);
    const row = r.stdout.split('\n').find((l) => l.startsWith('fast'));
    assert.ok(row, r.stdout);
    assert.deepEqual(row.trim().split(/\s+/).slice(0, 6), ['fast', '0', '2', '2', '0', '0']);
  });

  it('run stops cleanly on SIGINT and prints the summary', async () => {
    let sent = false;
    const r = await runNode([CLI, 'run', 'examples/kamailio.cfg', '--routes', 'examples/routes.mjs'], {
      onStdout: (out, child) => { if (!sent && out.includes('CLEANUP')) { sent = true; child.kill('SIGINT'); } },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
    assert.match(r.stdout, /^timer\s+mode\s+ticks/m);
  });
});
