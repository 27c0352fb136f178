import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RTimer, serveMetrics, type MetricsServer } from '../lib/index.js';

// The Debian package `prometheus`; .ci/run installs it when it can, and this test skips without it.
const PROMETHEUS = process.env.RTIMER_PROMETHEUS ?? '/usr/bin/prometheus';
const ROUTES = fileURLToPath(new URL('./fixtures/metrics/routes.mjs', import.meta.url));

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

describe('metrics: a real Prometheus server scrapes serveMetrics()', function () {
  this.timeout(40_000);
  let dir: string | null = null;
  let prom: ChildProcess | null = null;
  let promLog = '';
  let srv: MetricsServer | null = null;
  let rt: RTimer | null = null;

  before(function () {
    if (!existsSync(PROMETHEUS)) {
      console.log(`      skipped: ${PROMETHEUS} is not installed (apt-get install prometheus)`);
      this.skip();
    }
  });

  after(async () => {
    if (prom && prom.exitCode === null && prom.signalCode === null) {
      const gone = new Promise<void>((r) => prom!.once('exit', () => r()));
      prom.kill('SIGTERM');
      const kill = setTimeout(() => prom?.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(kill);
    }
    await srv?.close();
    await rt?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds rtimer_executions_total{timer} and sees it grow between two queries', async () => {
    rt = new RTimer({ routes: ROUTES });
    rt.timer({ name: 'fast', interval: '10ms', mode: 'inline' }).exec('timer=fast;route=OK');
    await rt.start();
    srv = await serveMetrics(rt, { port: 0 });

    dir = mkdtempSync(join(tmpdir(), 'rtimer-prometheus-'));
    const promPort = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: rtimer',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${srv.address.port}']`,
      '',
    ].join('\n'));
    // Loopback only, no remote storage, alerting or service discovery: nothing leaves the machine.
    prom = spawn(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
    ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d: Buffer) => { promLog += d; });
    prom.stderr!.on('data', (d: Buffer) => { promLog += d; });
    const exited = new Promise<never>((_, reject) => prom!.once('exit', (code, signal) =>
      reject(new Error(`prometheus exited (${signal ?? `code ${code}`}):\n${promLog}`))));
    exited.catch(() => undefined);
    const api = `http://127.0.0.1:${promPort}`;

    const query = async (): Promise<Vector | undefined> => {
      const res = await fetch(`${api}/api/v1/query?query=rtimer_executions_total`);
      const body = await res.json() as { status: string; data: { resultType: string; result: Vector[] } };
      assert.equal(body.status, 'success', JSON.stringify(body));
      return body.data.result[0];
    };
    const ready = until('Prometheus to be ready', 20_000, async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined));
    await Promise.race([ready, exited]);
    const first = await Promise.race([until('a first scrape', 15_000, query), exited]);
    assert.equal(first.metric.__name__, 'rtimer_executions_total');
    assert.equal(first.metric.timer, 'fast');
    assert.equal(first.metric.job, 'rtimer');
    assert.equal(first.metric.instance, `127.0.0.1:${srv.address.port}`);
    const a = Number(first.value[1]);
    assert.ok(a >= 0, `a count: ${first.value[1]}`);
    const later = await Promise.race([until('a later scrape with more executions', 15_000, async () => {
      const v = await query();
      return v && Number(v.value[1]) > a ? v : undefined;
    }), exited]);
    assert.ok(Number(later.value[1]) > a);

    // The histogram arrives intact: Prometheus computes a quantile from its buckets.
    const q = await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent('histogram_quantile(0.5, rtimer_lateness_seconds_bucket)')}`)).json() as
      { data: { result: Vector[] } };
    assert.equal(q.data.result.length, 1, JSON.stringify(q));
    const p50 = Number(q.data.result[0].value[1]);
    assert.ok(p50 > 0 && p50 < 1, `lateness p50 ${p50} s`);
  });
});
