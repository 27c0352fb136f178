import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen, type CtlServer } from '../lib/ctl/index.js';
import { FakeTarget } from './fixtures/ctl/fake-target.js';
import { CLI, ROOT, configWriter, runNode, type Ran } from './support/run.js';

const ROUTES = fileURLToPath(new URL('./fixtures/metrics/routes.mjs', import.meta.url));
const SAY = fileURLToPath(new URL('./fixtures/cli/say-routes.mjs', import.meta.url));
const RESOLVE_ELSEWHERE = fileURLToPath(new URL('./fixtures/cli/resolve-elsewhere.cjs', import.meta.url));
const NO_PROM_CLIENT = fileURLToPath(new URL('./fixtures/cli/no-prom-client.cjs', import.meta.url));
const CURSOR_UP = /\x1b\[\d+A/g;

let dir = '';
const tmpCfg = configWriter(() => dir);

const FAST = 'modparam("rtimer", "timer", "name=fast;interval=10ms;mode=inline")\nmodparam("rtimer", "exec", "timer=fast;route=OK")\n';

/** Runs the CLI; `onStderr` sees stderr as it grows (the metrics URL is printed there). */
function runCli(args: string[], onStderr?: (text: string) => void, timeoutMs = 15_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; onStderr?.(stderr); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('rtimer CLI: ctl (issue 12)', () => {
  let server: CtlServer | null = null;
  let target: FakeTarget;
  let sock = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-ops-'));
    sock = join(dir, 'ctl.sock');
    target = new FakeTarget();
    server = await listen(target, { path: sock });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rtimer ctl <socket> list prints a table of the timers; --json prints the raw result; exit 0', async () => {
    const table = await runNode([CLI, 'ctl', sock, 'list']);
    assert.equal(table.code, 0, table.stderr);
    for (const name of ['ta', 'tb', 'tc']) assert.match(table.stdout, new RegExp(`^${name}\\s`, 'm'));
    const json = await runNode([CLI, 'ctl', sock, 'rtimer.list', 'tb', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    const tb = Array.isArray(result) ? result[0] : result;
    assert.equal(tb.name, 'tb');
    assert.deepEqual(tb.workers.map((w: { pid: number }) => w.pid), [4242, 4243]);
  });

  it('rtimer ctl <socket> pause <timer> drives the target and prints the timer after it', async () => {
    const r = await runNode([CLI, 'ctl', sock, 'pause', 'ta', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 'paused');
    assert.ok(target.calls.includes('pause ta'), target.calls.join(', '));
    const back = await runNode([CLI, 'ctl', sock, 'continue', 'ta']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /^ta\s.*running/m);
  });

  it('exit 1 with the JSON-RPC error on a failed call or an absent socket; 2 on a ctl usage error', async () => {
    const unknown = await runNode([CLI, 'ctl', sock, 'pause', 'nope']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^rtimer ctl: .*unknown timer "nope"/);
    const absent = await runNode([CLI, 'ctl', join(dir, 'absent.sock'), 'list']);
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /absent\.sock/);
    for (const args of [['ctl'], ['ctl', sock], ['ctl', sock, 'pause'], ['ctl', sock, 'list', '--nope']]) {
      const r = await runNode([CLI, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^rtimer ctl: .+\nsee rtimer ctl --help\n$/, args.join(' '));
    }
    const help = await runNode([CLI, 'ctl', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage:\n {2}rtimer ctl <socket>/);
  });

  it('run --ctl with a missing directory or a file in the way: exit 1 before any route runs (issue 17)', async () => {
    const cfg = tmpCfg('modparam("ptimer", "timer", "name=p;interval=50ms;nworkers=1")\n' +
      'modparam("ptimer", "start", "timer=p;route=SAY_START")\nmodparam("ptimer", "loop", "timer=p;route=SAY_TICK")\n' +
      'modparam("ptimer", "end", "timer=p;route=SAY_END")\n' +
      'modparam("rtimer", "timer", "name=i;interval=50ms;mode=inline")\nmodparam("rtimer", "exec", "timer=i;route=SAY_TICK")\n');
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'keep me');
    for (const [path, message] of [[join(dir, 'nodir', 'c.sock'), /directory ".*nodir" of control socket .* does not exist/],
      [file, /not-a-socket" exists and is not a socket/]] as const) {
      const r = await runNode([CLI, 'run', cfg, '--routes', SAY, '--duration', '1s', '--ctl', path]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', 'no route ran, no summary');
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /running/);
    }
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  });

  it('rtimer --help shows the ctl command lines; ctl after an option is a usage error', async () => {
    const help = await runNode([CLI, '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^ {2}rtimer ctl <socket> list\|stats \[timer\] \[--json\]$/m);
    assert.match(help.stdout, /^ {2}--metrics <addr>/m);
    const late = await runNode([CLI, '-q', 'ctl', sock, 'list']);
    assert.equal(late.code, 2);
    assert.match(late.stderr, /^rtimer: ctl comes first/);
  });
});

describe('rtimer CLI: run --metrics (issue 12)', function () {
  this.timeout(30_000);
  let blocker: Server | null = null;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-ops-')); });
  after(async () => {
    if (blocker) await new Promise((r) => blocker!.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /metrics while it runs, prints the URL on stderr, closes it and exits 0 at the end of --duration', async () => {
    const file = tmpCfg(FAST);
    let scraped: Promise<string> | null = null;
    const r = await runCli(['run', file, '--routes', ROUTES, '--duration', '2s', '--metrics', '127.0.0.1:0'], (err) => {
      const url = /rtimer: metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(err)?.[1];
      if (url && !scraped) scraped = new Promise((res) => setTimeout(res, 500)).then(async () => (await fetch(url)).text());
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(scraped, `no metrics URL on stderr: ${r.stderr}`);
    const body = await scraped!;
    const m = /^rtimer_executions_total\{[^}]*timer="fast"[^}]*\} (\d+)$/m.exec(body);
    assert.ok(m, body);
    assert.ok(Number(m[1]) > 0, `executions after 0.5 s: ${m[1]}`);
    // Closed on shutdown: the process exited on its own (not killed), and the port no longer answers.
    assert.equal(r.signal, null);
    const url = /metrics at (\S+)/.exec(r.stderr)![1];
    await assert.rejects(fetch(url));
    assert.match(r.stdout, /^fast\s+inline\s/m, 'the summary is unchanged');
  });

  it('--metrics-public without --metrics, a malformed address, or --metrics on check: usage errors, exit 2', async () => {
    const file = tmpCfg(FAST);
    const bad = [
      ['run', file, '--routes', ROUTES, '--metrics-public'], ['run', file, '--routes', ROUTES, '--metrics', 'localhost'],
      ['run', file, '--routes', ROUTES, '--metrics', '127.0.0.1:99999'], ['run', file, '--routes', ROUTES, '--metrics', '::1:9464'],
      ['check', file, '--metrics', ':9464'], ['run', file, '--routes', ROUTES, '--metrics', ':1', '--metrics', ':2'],
    ];
    const runs = await Promise.all(bad.map((args) => runNode([CLI, ...args])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, `${bad[i].join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^rtimer: .*metrics.*\nsee rtimer --help\n$/, bad[i].join(' '));
    });
  });

  it('a non-loopback address without --metrics-public is refused with exit 1 before any route runs', async () => {
    const file = tmpCfg('modparam("rtimer", "timer", "name=t;interval=100ms")\nmodparam("rtimer", "exec", "timer=t;route=HEARTBEAT")\n');
    const r = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '1s', '--metrics', '0.0.0.0:0']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '', 'no route ran and no summary');
    assert.match(r.stderr, /^rtimer: metrics address "0\.0\.0\.0" is not a loopback address.*--metrics-public/);
    const ok = await runNode([CLI, 'run', file, '--routes', 'examples/routes.mjs', '--duration', '0.3s', '-q', '--metrics', '0.0.0.0:0', '--metrics-public']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('--metrics with a localhost name that resolves elsewhere: exit 1 before any route runs (issue 17)', async () => {
    const r = await runNode(['--require', RESOLVE_ELSEWHERE, CLI, 'run', tmpCfg(FAST.replace('route=OK', 'route=SAY_TICK')), '--routes', SAY, '--duration', '1s',
      '--metrics', 'metrics.localhost:0']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '', 'no route ran');
    assert.match(r.stderr, /^rtimer: metrics address "metrics\.localhost" \(resolved to 0\.0\.0\.0\) is not a loopback address.*--metrics-public/);
  });

  it('a port in use: exit 1 naming the address', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    const r = await runNode([CLI, 'run', tmpCfg(FAST), '--routes', ROUTES, '--duration', '1s', '--metrics', `:${port}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  });

  it('without prom-client installed: exit 1 with ERR_RTIMER_NO_PROM_CLIENT\'s message', async () => {
    const r = await runNode(['--require', NO_PROM_CLIENT, CLI, 'run', tmpCfg(FAST), '--routes', ROUTES, '--duration', '1s', '--metrics', ':0']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, 'rtimer: Prometheus metrics need the optional peer dependency prom-client (v15): npm install prom-client\n');
    // The same preload leaves a run without --metrics alone: prom-client stays optional.
    const plain = await runNode(['--require', NO_PROM_CLIENT, CLI, 'run', tmpCfg(FAST), '--routes', ROUTES, '--duration', '0.3s', '-q']);
    assert.equal(plain.code, 0, plain.stderr);
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('rtimer CLI: live view (issue 12)', function () {
  this.timeout(30_000);
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cli-ops-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints nothing live when stdout is not a terminal: no escape sequence, the summary as before', async () => {
    const r = await runNode([CLI, 'run', tmpCfg(FAST), '--routes', ROUTES, '--duration', '1s']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b/);
    assert.doesNotMatch(r.stdout, /^T: /m);
    assert.match(r.stdout, /^timer\s+mode\s+ticks\s+executions/m);
  });

  it('on a terminal (under script(1)): live lines redrawn with cursor-up, at most ~4 a second, then the summary', async function () {
    if (!hasScript) {
      console.log('      (skipped: script(1) from util-linux is absent)');
      this.skip();
    }
    const cfg = tmpCfg(FAST + 'modparam("rtimer", "timer", "name=slow;interval=100ms;mode=1")\nmodparam("rtimer", "exec", "timer=slow;route=OK")\n');
    const cmd = [process.execPath, CLI, 'run', cfg, '--routes', ROUTES, '--duration', '1.5s'].map(shellQuote).join(' ');
    const r = await new Promise<Ran>((resolve, reject) => {
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout;
    assert.match(out, /T: fast \(mode inline, every 10ms\)\s+C:\s+\d+\s+missed:\s+\d+\s+errors:\s+\d+\s+late µs p50:\s+[\d.]+\s+p99:\s+[\d.]+\s+max:\s+[\d.]+/);
    assert.match(out, /T: slow \(mode 1, every 100ms\)/);
    const ups = out.match(CURSOR_UP) ?? [];
    assert.ok(ups.length >= 2, `redrawn: ${JSON.stringify(out.slice(0, 2000))}`);
    // 1.5 s at 4 a second, plus the first drawing and the final erase: an order of magnitude, not a timing.
    assert.ok(ups.length <= 4 * 1.5 + 2, `${ups.length} redraws in 1.5 s`);
    // The counts move between drawings: a person watching sees it is alive.
    const counts = [...out.matchAll(/T: fast [^\n]*?C:\s+(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(counts.length >= 2 && counts[counts.length - 1] > counts[0], `C: ${counts.join(', ')}`);
    // The live lines are erased before the summary, which follows unchanged.
    const summaryAt = out.search(/timer\s+mode\s+ticks\s+executions/);
    assert.ok(summaryAt > 0, out);
    assert.match(out.slice(0, summaryAt), /\x1b\[2A\r\x1b\[J$/);
    assert.doesNotMatch(out.slice(summaryAt), /T: /);
  });

  it('--quiet on a terminal prints no live lines', async function () {
    if (!hasScript) this.skip();
    const cmd = [process.execPath, CLI, 'run', tmpCfg(FAST), '--routes', ROUTES, '--duration', '0.8s', '-q'].map(shellQuote).join(' ');
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /\x1b|T: /);
  });
});

describe('rtimer run --json, --histogram, --quiet (issue 20 #13)', () => {
  let jdir = '';
  before(() => { jdir = mkdtempSync(join(tmpdir(), 'rtimer-json-')); });
  after(() => rmSync(jdir, { recursive: true, force: true }));
  const cfg = configWriter(() => jdir);

  it('--json prints the final statistics as JSON, with --histogram N a 1 µs histogram per timer', async () => {
    const r = await runNode([CLI, 'run', cfg(FAST), '--routes', ROUTES, '--duration', '0.5s', '--json', '--histogram', '200']);
    assert.equal(r.code, 0, r.stderr);
    const { timers } = JSON.parse(r.stdout);
    assert.equal(timers.length, 1);
    const [t] = timers;
    assert.equal(t.name, 'fast');
    assert.ok(t.executions > 5, `${t.executions} executions`);
    assert.equal(t.executions + t.missed + t.paused, t.ticks);
    assert.equal(t.lateness.count, t.executions);
    assert.equal(t.histogram.bucketUs, 1);
    assert.equal(t.histogram.counts.length, 200);
    const binned = t.histogram.counts.reduce((a: number, b: number) => a + b, 0) + t.histogram.overflows;
    assert.equal(binned, t.lateness.count, 'every lateness sample is in a bin or the overflow');
    assert.match(r.stderr, /rtimer: running fast/, 'the "running" line still goes to stderr');
  });

  it('--histogram N prints cyclictest\'s -h dump after the summary', async () => {
    const r = await runNode([CLI, 'run', cfg(FAST), '--routes', ROUTES, '--duration', '0.5s', '--histogram', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^timer\s+mode/m);
    assert.match(r.stdout, /^# Histogram .*columns: fast\)$/m);
    assert.match(r.stdout, /^\d{6} \d{6}$/m);
    const total = Number(/^# Total: (\d{9})$/m.exec(r.stdout)?.[1]);
    const bins = [...r.stdout.matchAll(/^\d{6} (\d{6})$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const over = Number(/^# Histogram Overflows: (\d{5})$/m.exec(r.stdout)?.[1]);
    assert.ok(total > 5);
    assert.equal(bins + over, total);
    for (const l of ['Min', 'Avg', 'Max']) assert.match(r.stdout, new RegExp(`^# ${l} Latencies: \\d{5}$`, 'm'));
    for (const bad of ['0', '-1', 'x', '1000001']) {
      const u = await runNode([CLI, 'run', cfg(FAST), '--routes', ROUTES, '--histogram', bad]);
      assert.equal(u.code, 2, bad);
      assert.match(u.stderr, /--histogram/);
    }
  });

  it('--quiet still prints the metrics URL and the control socket path, once', async () => {
    const sock = join(jdir, 'q.sock');
    const r = await runNode([CLI, 'run', cfg(FAST), '--routes', ROUTES, '--duration', '0.3s', '-q', '--metrics', '127.0.0.1:0', '--ctl', sock]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.match(/rtimer: metrics at http:\/\/127\.0\.0\.1:\d+\/metrics\n/g)?.length, 1, r.stderr);
    assert.equal(r.stderr.split(`rtimer: control socket ${sock}`).length, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /running/);
  });
});
