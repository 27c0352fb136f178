import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT } from './support/run.js';

// The Debian package `prometheus`; .ci/run installs it when it can, and this test skips without it.
const PROMETHEUS = process.env.RTIMER_PROMETHEUS ?? '/usr/bin/prometheus';
const ROUTES = fileURLToPath(new URL('./fixtures/metrics/routes.mjs', import.meta.url));

const CFG = 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=fast;interval=10ms;mode=inline")\nmodparam("rtimer", "exec", "timer=fast;route=OK")\n' +
  'modparam("rtimer", "timer", "name=proc;interval=50ms;mode=1")\nmodparam("rtimer", "exec", "timer=proc;route=OK")\n';

interface Vector { metric: Record<string, string>; value: [number, string] }

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Stops a child: SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(kill);
}

/** Spawns a long-running child, keeping its output for the failure message; `exited` rejects if it ends. */
function start(cmd: string, args: string[], cwd: string) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = { text: '' };
  child.stdout!.on('data', (d: Buffer) => { log.text += d; });
  child.stderr!.on('data', (d: Buffer) => { log.text += d; });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) =>
    reject(new Error(`${cmd} exited (${signal ?? `code ${code}`}):\n${log.text}`))));
  exited.catch(() => undefined);
  return { child, log, exited };
}

describe('metrics: a real Prometheus server scrapes rtimer run --metrics (issue 12)', function () {
  this.timeout(45_000);
  let dir: string | null = null;
  let prom: ChildProcess | null = null;
  let cli: ChildProcess | null = null;

  before(function () {
    if (!existsSync(PROMETHEUS)) {
      console.log(`      skipped: ${PROMETHEUS} is not installed (apt-get install prometheus)`);
      this.skip();
    }
  });

  // Whatever failed, neither process outlives the test.
  after(async () => {
    await Promise.all([stopChild(prom), stopChild(cli)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds rtimer_executions_total{timer} for each timer and sees it grow; SIGTERM ends the run with exit 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtimer-prometheus-'));
    writeFileSync(join(dir, 'kamailio.cfg'), CFG);
    const [metricsPort, promPort] = [await freePort(), await freePort()];
    // dist/cli/main.js as a user runs it (the suite's `npm test` compiles dist/ first).
    const run = start(process.execPath, [CLI, 'run', join(dir, 'kamailio.cfg'), '--routes', ROUTES, '--duration', '40s',
      '--metrics', `127.0.0.1:${metricsPort}`], ROOT);
    cli = run.child;
    await Promise.race([until('the CLI to serve /metrics', 15_000, async () =>
      (run.log.text.includes(`metrics at http://127.0.0.1:${metricsPort}/metrics`) ? true : undefined)), run.exited]);

    writeFileSync(join(dir, 'prometheus.yml'), [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: rtimer',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${metricsPort}']`,
      '',
    ].join('\n'));
    // Loopback only, no remote storage, alerting or service discovery: nothing leaves the machine.
    const p = start(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ], dir);
    prom = p.child;
    const died = Promise.race([p.exited, run.exited]);
    const api = `http://127.0.0.1:${promPort}`;

    const query = async (q: string): Promise<Vector[] | undefined> => {
      const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = await res.json() as { status: string; data: { resultType: string; result: Vector[] } };
      assert.equal(body.status, 'success', JSON.stringify(body));
      return body.data.result.length ? body.data.result : undefined;
    };
    const ready = until('Prometheus to be ready', 20_000, async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined));
    await Promise.race([ready, died]);
    const first = await Promise.race([until('a first scrape', 15_000, () => query('rtimer_executions_total')), died]);
    assert.deepEqual(first.map((v) => v.metric.timer).sort(), ['fast', 'proc']);
    for (const v of first) {
      assert.equal(v.metric.__name__, 'rtimer_executions_total');
      assert.equal(v.metric.job, 'rtimer');
      assert.equal(v.metric.instance, `127.0.0.1:${metricsPort}`);
    }
    const fast = (r: Vector[]) => Number(r.find((v) => v.metric.timer === 'fast')!.value[1]);
    const a = fast(first);
    assert.ok(a >= 0, `a count: ${a}`);
    const later = await Promise.race([until('a later scrape with more executions', 15_000, async () => {
      const r = await query('rtimer_executions_total');
      return r && fast(r) > a ? r : undefined;
    }), died]);
    assert.ok(fast(later) > a);

    // The histogram arrives intact: Prometheus computes a quantile from its buckets.
    const q = await query('histogram_quantile(0.5, rtimer_lateness_seconds_bucket{timer="fast"})');
    assert.equal(q?.length, 1, JSON.stringify(q));
    const p50 = Number(q![0].value[1]);
    assert.ok(p50 > 0 && p50 < 1, `lateness p50 ${p50} s`);

    // SIGTERM: the CLI stops its timers, closes the metrics server and exits 0 with its summary.
    const code = new Promise<number | null>((r) => cli!.once('exit', (c) => r(c)));
    cli.kill('SIGTERM');
    assert.equal(await code, 0, run.log.text);
    assert.match(run.log.text, /^fast\s+inline\s/m);
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`));
  });
});
