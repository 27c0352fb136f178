import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError, parseCli } from '../lib/cli/args.js';
import { runTimers } from '../lib/cli/commands.js';
import { MAX_TIMEOUT_MS, waitFor } from '../lib/cli/wait.js';
import { RTimer } from '../lib/rtimer.js';
import { sleep } from './support/native.js';
import { workersOf } from './support/procs.js';
import { CLI, ROOT, configWriter, runNode } from './support/run.js';

let dir = '';
const tmpCfg = configWriter(() => dir);

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
    assert.equal(noRoutes.code, 2);
    assert.match(noRoutes.stderr, /--routes/);
  });

  it('check takes a path with a parenthesis as a path: missing is exit 1, present is read (issue 9 #16)', async () => {
    const gone = await runNode([CLI, 'check', 'kam(1).cfg']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stdout, '');
    assert.match(gone.stderr, /^rtimer: cannot read config "kam\(1\)\.cfg"/);
    const file = join(dir, 'kam(1).cfg');
    writeFileSync(file, 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=p;interval=3")\n');
    const r = await runNode([CLI, 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).timers.map((t: { name: string }) => t.name), ['p']);
  });

  it('check and run exit 1 on a file with no rtimer timer (issue 9 #16)', async () => {
    const file = tmpCfg('loadmodule "tm.so"\nmodparam("tm", "fr_timer", 30000)\n');
    for (const args of [['check', file], ['run', file, '--routes', 'examples/routes.mjs', '--duration', '1s']]) {
      const r = await runNode([CLI, ...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `rtimer: no rtimer or ptimer timer in ${file}\n`);
    }
  });

  it('every usage error exits 2 with the usage on stderr (issue 9 #21)', async () => {
    const cfg = 'examples/kamailio.cfg';
    const bad = [
      ['check', cfg, '--nope'], ['check', cfg, 'extra.cfg'], ['check', cfg, '--routes='], ['check', cfg, '--routes', ''],
      ['run', cfg, '--routes', 'examples/routes.mjs', '--duration=abc'], ['run', cfg, '--routes', 'a.mjs', '--routes', 'b.mjs'],
      ['check', cfg, '--duration', '1s'], ['check'], ['run', cfg, '-x'], ['run', cfg, '--routes', 'examples/routes.mjs', '--quiet=yes'],
    ];
    const runs = await Promise.all(bad.map((args) => runNode([CLI, ...args])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, `${bad[i].join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^rtimer: .+\nsee rtimer --help\n$/, bad[i].join(' '));
    });
  });

  it('-h and --help print the usage on stdout and exit 0; --version prints the version (issue 9 #21)', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const [h, help, version] = await Promise.all([runNode([CLI, '-h']), runNode([CLI, 'run', '--help']), runNode([CLI, '--version'])]);
    for (const r of [h, help]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^usage:\n {2}rtimer check/);
      assert.equal(r.stderr, '');
    }
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${pkg.version}\n`);
    const changelog = readFileSync(new URL('../CHANGELOG.md', import.meta.url), 'utf8');
    assert.equal(/^## (\S+)/m.exec(changelog)?.[1], pkg.version, 'the version is the CHANGELOG\'s newest (issue 20 #14)');
    assert.notEqual(pkg.version, '0.1.0');
  });

  it('run --quiet prints only what the routes print (issue 9 #21)', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=q;interval=1")\nmodparam("rtimer", "exec", "timer=q;route=HEARTBEAT")\n');
    const r = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '1.5s', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /HEARTBEAT/);
    assert.doesNotMatch(r.stdout, /^timer\s+mode/m);
  });

  it('run --duration longer than setTimeout allows keeps running (issue 9 #8)', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=long;interval=1")\n');
    const child = spawn(process.execPath, [CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '2147484s'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      for (let i = 0; i < 100 && !stderr.includes('running'); i++) await sleep(100);
      assert.match(stderr, /running long/);
      await sleep(1000);
      assert.equal(child.exitCode, null, `exited early: ${stdout}${stderr}`);
      assert.doesNotMatch(stderr, /TimeoutOverflowWarning/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^timer\s+mode\s+ticks\s+executions\s+missed/m);
  });

  it('run executes the routes for the duration, then prints a summary and exits 0', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=fast;interval=1")\nmodparam("rtimer", "exec", "timer=fast;route=HEARTBEAT")\n');
    const r = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '2.5s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/HEARTBEAT/g) ?? []).length, 2);
    const row = r.stdout.split('\n').find((l) => l.startsWith('fast'));
    assert.ok(row, r.stdout);
    assert.deepEqual(row.trim().split(/\s+/).slice(0, 6), ['fast', '0', '2', '2', '0', '0']);
    assert.match(r.stdout, /^timer\s+mode\s+ticks\s+executions\s+missed\s+paused\s+errors/m, 'the word stats() uses (issue 9 #23)');
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

const STOCK = '/etc/kamailio/kamailio.cfg';

/** Our lines for a Kamailio config: rtimer and ptimer timers under #!ifdef WITH_MYSQL / #!else and a nested #!ifdef. */
const OUR_LINES = `
####### node-rtimer test lines #######
loadmodule "rtimer.so"
loadmodule "ptimer.so"
modparam("rtimer", "timer", "name=housekeeping;interval=60;mode=1")
modparam("rtimer", "exec", "timer=housekeeping;route=HOUSEKEEPING")
#!ifdef WITH_MYSQL
modparam("rtimer", "timer", "name=dbsync;interval=30;mode=2")
modparam("rtimer", "exec", "timer=dbsync;route=DBSYNC")
modparam("ptimer", "default_interval", "100ms")
modparam("ptimer", "timer", "name=shaper;type=3;nworkers=4;ntasks=1000;nslices=10")
modparam("ptimer", "start", "timer=shaper;route=SHAPER_START")
modparam("ptimer", "loop", "timer=shaper;route=SHAPER_LOOP")
#!ifdef WITH_DEBUG
modparam("ptimer", "end", "timer=shaper;route=SHAPER_END")
#!endif
#!else
modparam("rtimer", "timer", "name=dbsync;interval=120")
modparam("rtimer", "exec", "timer=dbsync;route=FILESYNC")
#!endif
`;

describe('rtimer CLI: ptimer keys and --define (issue 11)', () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check prints start, end, type, ntasks and nslices where a timer has them', async () => {
    const file = tmpCfg('modparam("ptimer", "timer", "name=p;type=2;interval=20ms;nworkers=3;ntasks=12;nslices=4")\n' +
      'modparam("ptimer", "start", "timer=p;route=S")\nmodparam("ptimer", "loop", "timer=p;route=L")\n' +
      'modparam("ptimer", "end", "timer=p;route=E")\nmodparam("ptimer", "timer", "name=q")\nmodparam("ptimer", "loop", "timer=q;route=L")\n' +
      'modparam("rtimer", "timer", "name=r;interval=2;ntasks=5")\nmodparam("rtimer", "timer", "name=plain")\n');
    const r = await runNode([CLI, 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { timers: [
      { name: 'p', mode: 3, interval: 20, unit: 'ms', intervalUs: 20_000, routes: ['L'], type: 2, start: 'S', end: 'E', ntasks: 12, nslices: 4 },
      { name: 'q', mode: 1, interval: 1, unit: 's', intervalUs: 1_000_000, routes: ['L'], type: 0, ntasks: 0, nslices: 1 },
      { name: 'r', mode: 0, interval: 2, unit: 's', intervalUs: 2_000_000, routes: [], ntasks: 5, nslices: 1 },
      { name: 'plain', mode: 0, interval: 120, unit: 's', intervalUs: 120_000_000, routes: [] },
    ] });
  });

  it('check --routes verifies the start and end routes too', async () => {
    const routes = join(dir, 'routes.mjs');
    writeFileSync(routes, 'export function S() {}\nexport function L() {}\n');
    const file = tmpCfg('modparam("ptimer", "timer", "name=p")\nmodparam("ptimer", "start", "timer=p;route=S")\n' +
      'modparam("ptimer", "loop", "timer=p;route=L")\nmodparam("ptimer", "end", "timer=p;route=E")\n');
    const bad = await runNode([CLI, 'check', file, '--routes', routes]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /route "E" of timer "p"/);
    writeFileSync(routes, 'export function S() {}\nexport function L() {}\nexport function E() {}\n');
    const ok = await runNode([CLI, 'check', file, '--routes', routes]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('--define picks the #!ifdef branches, with values, repeatable, for check and run', async () => {
    const file = tmpCfg('#!trydef IV 60\nmodparam("rtimer", "default_interval", IV)\n#!ifdef FAST\n' +
      'modparam("rtimer", "timer", "name=fast;interval=1")\nmodparam("rtimer", "exec", "timer=fast;route=HEARTBEAT")\n#!else\n' +
      'modparam("rtimer", "timer", "name=slow")\n#!endif\n');
    const names = async (...defines: string[]) => {
      const r = await runNode([CLI, 'check', file, ...defines]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).timers.map((t: { name: string; interval: number }) => `${t.name} ${t.interval}`);
    };
    assert.deepEqual(await names(), ['slow 60']);
    assert.deepEqual(await names('--define', 'FAST'), ['fast 1']);
    assert.deepEqual(await names('--define', 'IV=7', '--define=OTHER'), ['slow 7']);
    const r = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '1.5s', '--define', 'FAST']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HEARTBEAT/);
    assert.match(r.stdout, /^fast\s/m);
  });

  it('check prints the preprocessor\'s warnings on stderr with file and line, and still exits 0', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=w")\n#!ifdef X junk\n#!endif\n');
    const r = await runNode([CLI, 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `rtimer: warning: ${file}:2: text after "#!ifdef X" is ignored: "junk"\n`);
    assert.deepEqual(JSON.parse(r.stdout).timers.map((t: { name: string }) => t.name), ['w']);
  });

  it('a bad --define is a usage error (exit 2)', async () => {
    const cfg = 'examples/kamailio.cfg';
    const bad = [['--define'], ['--define', ''], ['--define', '9X'], ['--define', 'A-B=1'], ['--define', 'A', '--define', 'A=2']];
    const runs = await Promise.all(bad.map((args) => runNode([CLI, 'check', cfg, ...args])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, `${bad[i].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^rtimer: .+\nsee rtimer --help\n$/, bad[i].join(' '));
    });
  });

  it(`check reads the stock ${STOCK} with our lines, with and without --define WITH_MYSQL`, async function () {
    if (!existsSync(STOCK)) {
      console.log(`      (skipped: ${STOCK} is absent; install the Debian "kamailio" package to run this test)`);
      this.skip();
    }
    const file = join(dir, 'kamailio.cfg');
    copyFileSync(STOCK, file);
    appendFileSync(file, OUR_LINES);
    const timers = async (...args: string[]) => {
      const r = await runNode([CLI, 'check', file, ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).timers;
    };
    assert.deepEqual(await timers(), [
      { name: 'housekeeping', mode: 1, interval: 60, unit: 's', intervalUs: 60_000_000, routes: ['HOUSEKEEPING'] },
      { name: 'dbsync', mode: 0, interval: 120, unit: 's', intervalUs: 120_000_000, routes: ['FILESYNC'] },
    ]);
    const shaper = { name: 'shaper', mode: 4, interval: 100, unit: 'ms', intervalUs: 100_000, routes: ['SHAPER_LOOP'], type: 3,
      start: 'SHAPER_START', ntasks: 1000, nslices: 10 };
    assert.deepEqual(await timers('--define', 'WITH_MYSQL'), [
      { name: 'housekeeping', mode: 1, interval: 60, unit: 's', intervalUs: 60_000_000, routes: ['HOUSEKEEPING'] },
      { name: 'dbsync', mode: 2, interval: 30, unit: 's', intervalUs: 30_000_000, routes: ['DBSYNC'] },
      shaper,
    ]);
    const withDebug = await timers('--define', 'WITH_MYSQL', '--define', 'WITH_DEBUG', '--define', 'WITH_AUTH');
    assert.deepEqual(withDebug[2], { ...shaper, end: 'SHAPER_END' });
  });
});

describe('waitFor (issue 9 #8)', () => {
  const fake = () => {
    const delays: number[] = [];
    let pending: (() => void) | null = null;
    let cleared = 0;
    const timers = {
      setTimeout: (fn: () => void, ms: number) => { delays.push(ms); pending = fn; return delays.length; },
      clearTimeout: () => { cleared++; pending = null; },
    };
    const fire = () => { const fn = pending; pending = null; fn?.(); };
    return { timers, delays, fire, cleared: () => cleared, pending: () => pending !== null };
  };

  it('chains timeouts of at most 2^31-1 ms, so a long duration lasts as asked', async () => {
    const f = fake();
    let done = false;
    const wait = waitFor(2_147_484_000 * 2, undefined, f.timers).then(() => { done = true; });
    assert.deepEqual(f.delays, [MAX_TIMEOUT_MS]);
    f.fire();
    f.fire();
    await Promise.resolve();
    assert.equal(done, false, 'two maximal timeouts are not yet the duration');
    assert.deepEqual(f.delays, [MAX_TIMEOUT_MS, MAX_TIMEOUT_MS, 2_147_484_000 * 2 - 2 * MAX_TIMEOUT_MS]);
    f.fire();
    await wait;
    assert.equal(f.pending(), false);
  });

  it('a short duration is one timeout; an abort ends the wait at once and clears it', async () => {
    const f = fake();
    const short = waitFor(250, undefined, f.timers);
    assert.deepEqual(f.delays, [250]);
    f.fire();
    await short;
    const g = fake();
    const ac = new AbortController();
    const aborted = waitFor(2_147_484_000, ac.signal, g.timers);
    ac.abort();
    await aborted;
    assert.equal(g.cleared(), 1);
    assert.equal(g.pending(), false);
    const h = fake();
    await waitFor(undefined, AbortSignal.abort(), h.timers);
    assert.deepEqual(h.delays, []);
  });
});

describe('runTimers exit status (issue 9 #15)', function () {
  let logDir = '';
  beforeEach(() => {
    logDir = mkdtempSync(join(tmpdir(), 'rtimer-cli-fail-'));
    process.env.RTIMER_TEST_LOG = join(logDir, 'log.jsonl');
  });
  afterEach(() => {
    delete process.env.RTIMER_TEST_LOG;
    rmSync(logDir, { recursive: true, force: true });
    assert.deepEqual(workersOf(process.pid), [], 'no worker process left behind');
  });

  const routes = fileURLToPath(new URL('./fixtures/process-routes.mjs', import.meta.url));
  const capture = () => {
    const io = { outText: '', errText: '', out(s: string) { io.outText += s; }, err(s: string) { io.errText += s; } };
    return io;
  };

  it('is 1 when a timer failed, though another one ran to the end', async () => {
    const rt = new RTimer({ routes, supervisor: { maxRestarts: 1, backoffMs: 10 } });
    rt.timer('name=dies;mode=1;interval=10000u').exec('timer=dies;route=DIE');
    rt.timer('name=fine;mode=1;interval=10000u').exec('timer=fine;route=FIRST');
    const io = capture();
    let failedSeen = false;
    rt.on('timer-failed', () => { failedSeen = true; });
    const t0 = Date.now();
    const code = await runTimers(rt, { durationMs: 1500 }, io, new AbortController().signal);
    assert.equal(failedSeen, true, io.errText);
    assert.equal(code, 1, io.errText);
    assert.ok(Date.now() - t0 >= 1400, 'the healthy timer ran for the duration');
    assert.match(io.errText, /rtimer: failed: dies\n$/);
    assert.match(io.outText, /^dies \(FAILED\)/m);
  });

  it('ends early, with 1, once every timer has failed', async () => {
    const rt = new RTimer({ routes, supervisor: { maxRestarts: 1, backoffMs: 10 } });
    rt.timer('name=dies;mode=1;interval=10000u').exec('timer=dies;route=DIE');
    const io = capture();
    const t0 = Date.now();
    const code = await runTimers(rt, { durationMs: 60_000 }, io, new AbortController().signal);
    assert.equal(code, 1, io.errText);
    assert.ok(Date.now() - t0 < 15_000, 'did not wait out the duration');
  });

  it('is 0 when every timer ran', async () => {
    const rt = new RTimer({ routes });
    rt.timer('name=fine;mode=1;interval=10000u').exec('timer=fine;route=FIRST');
    const io = capture();
    assert.equal(await runTimers(rt, { durationMs: 200, quiet: true }, io, new AbortController().signal), 0, io.errText);
    assert.equal(io.outText, '');
  });
});

describe('rtimer run: signals (review of issue 9)', function () {
  this.timeout(30000);
  const HOOKS = fileURLToPath(new URL('./fixtures/review/start-hooks.mjs', import.meta.url));
  let sigDir = '';
  beforeEach(() => { sigDir = mkdtempSync(join(tmpdir(), 'rtimer-cli-sig-')); });
  afterEach(() => {
    delete process.env.REVIEW_START;
    rmSync(sigDir, { recursive: true, force: true });
    for (const pid of workersOf(process.pid)) process.kill(pid, 'SIGKILL');
  });
  const capture = () => {
    const io = { outText: '', errText: '', out(s: string) { io.outText += s; }, err(s: string) { io.errText += s; } };
    return io;
  };
  const hangCfg = () => {
    const file = join(sigDir, 'k.cfg');
    writeFileSync(file, 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=m;mode=1;interval=20000u")\nmodparam("rtimer", "exec", "timer=m;route=R")\n');
    return file;
  };

  it('runTimers: a signal while a worker hangs in onWorkerStart stops the start at once and gives 143 for SIGTERM', async () => {
    process.env.REVIEW_START = 'hang';
    const rt = new RTimer({ routes: HOOKS });
    rt.timer('name=m;mode=1;interval=20000u').exec('timer=m;route=R');
    const io = capture();
    const ac = new AbortController();
    setTimeout(() => ac.abort('SIGTERM'), 800);
    const t0 = Date.now();
    const code = await runTimers(rt, {}, io, ac.signal);
    assert.equal(code, 143, io.errText);
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms: waited for startTimeoutMs`);
    assert.equal(rt.state, 'stopped');
    assert.match(io.errText, /interrupted while the timers started/);
    assert.equal(io.outText, '', 'no summary: no timer ran');
    assert.deepEqual(workersOf(process.pid), [], 'the hung worker was killed');
  });

  it('CLI: SIGINT while a worker hangs in onWorkerStart exits 130, not 1 after startTimeoutMs', async () => {
    const child = spawn(process.execPath, [CLI, 'run', hangCfg(), '--routes', HOOKS], { cwd: ROOT, env: { ...process.env, REVIEW_START: 'hang' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // Once its worker runs (and hangs): the config is read before SIGINT is taken over, and a loaded
    // machine may take longer than a fixed wait to get there.
    for (let i = 0; i < 150 && workersOf(child.pid!).length === 0; i++) await sleep(100);
    await sleep(300);
    child.kill('SIGINT');
    const code = await closed;
    clearTimeout(killer);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted while the timers started/);
    assert.doesNotMatch(stderr, /did not load its routes/);
  });

  it('CLI: a second SIGINT while stop() waits for a hung route exits at once with 130', async () => {
    const routes = join(sigDir, 'hang-routes.mjs');
    writeFileSync(routes, 'export function HANG() { process.stdout.write("HANGING\\n"); return new Promise(() => {}); }\n');
    const cfg = join(sigDir, 'hang.cfg');
    writeFileSync(cfg, 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=h;interval=100ms")\nmodparam("rtimer", "exec", "timer=h;route=HANG")\n');
    let signalled = false;
    // stop() gives the hung route stopGraceMs (2 s) before it abandons it and exits 0; the second
    // SIGINT does not wait for that.
    const r = await runNode([CLI, 'run', cfg, '--routes', routes], {
      onStdout: (out, child) => {
        if (signalled || !out.includes('HANGING')) return;
        signalled = true;
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGINT'), 300);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT again: exiting now/);
  });
});

describe('rtimer run --duration (review of issue 9)', () => {
  it('takes h and d as well as s, ms and m', () => {
    const ms = (d: string) => {
      const cmd = parseCli(['run', 'k.cfg', '--routes', 'r.mjs', '--duration', d]);
      return cmd.command === 'run' ? cmd.durationMs : undefined;
    };
    assert.equal(ms('1h'), 3_600_000);
    assert.equal(ms('1.5h'), 5_400_000);
    assert.equal(ms('2d'), 172_800_000);
    assert.equal(ms('2m'), 120_000);
    assert.equal(ms('1.5s'), 1500);
  });

  it('refuses a duration past 2^32-1 s with a usage error naming it, instead of printing it rounded', () => {
    assert.throws(() => parseCli(['run', 'k.cfg', '--routes', 'r.mjs', '--duration', '99999999999999999999s']),
      (e: Error) => e instanceof CliUsageError && /"99999999999999999999s" is too long/.test(e.message));
    assert.throws(() => parseCli(['run', 'k.cfg', '--routes', 'r.mjs', '--duration', '4294967296']), CliUsageError);
    const cmd = parseCli(['run', 'k.cfg', '--routes', 'r.mjs', '--duration', '4294967295']);
    assert.equal(cmd.command === 'run' && cmd.durationMs, 4294967295000);
  });

  it('reads --ctl-max-connections and --ctl-idle-timeout for the control socket, with --ctl only (issue 17)', () => {
    const base = ['run', 'k.cfg', '--routes', 'r.mjs', '--ctl', 's.sock'];
    const cmd = parseCli([...base, '--ctl-max-connections', '8', '--ctl-idle-timeout', '2m']);
    assert.deepEqual(cmd.command === 'run' && cmd.ctlOptions, { maxConnections: 8, idleTimeoutMs: 120_000 });
    assert.deepEqual((parseCli([...base, '--ctl-idle-timeout', '0']) as { ctlOptions?: unknown }).ctlOptions, { idleTimeoutMs: 0 });
    for (const [args, message] of [
      [[...base, '--ctl-max-connections', '0'], /--ctl-max-connections: "0" is not a whole number/],
      [[...base, '--ctl-max-connections', 'many'], /--ctl-max-connections: "many"/],
      [[...base, '--ctl-idle-timeout', '25d'], /--ctl-idle-timeout: "25d" is too long/],
      [[...base, '--ctl-idle-timeout', 'soon'], /--ctl-idle-timeout: invalid duration "soon"/],
      [['run', 'k.cfg', '--routes', 'r.mjs', '--ctl-idle-timeout', '1s'], /--ctl-idle-timeout goes with --ctl/],
      [['check', 'k.cfg', '--ctl-max-connections', '2'], /--ctl-max-connections is for run/],
    ] as const) {
      assert.throws(() => parseCli([...args]), (e: Error) => e instanceof CliUsageError && message.test(e.message), args.join(' '));
    }
  });

  it('CLI: exits 2 with the usage on a duration too long', async () => {
    const r = await runNode([CLI, 'run', 'examples/kamailio.cfg', '--routes', 'examples/routes.mjs', '--duration', '99999999999999999999s']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--duration: duration "99999999999999999999s" is too long/);
    assert.doesNotMatch(r.stderr, /99999999999999980000/);
  });
});
