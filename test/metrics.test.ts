import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent, createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import parsePrometheus from 'parse-prometheus-text-format';
import { RTimer, RTimerError, Histogram, rtimerCollector, serveMetrics, parseMetricsAddress, type WorkerExitEvent } from '../lib/index.js';
import { LE_SECONDS, exactUpToNs, toPromHistogram } from '../lib/metrics/buckets.js';
import { loadPromClient } from '../lib/metrics/prom-client.js';
import { isLoopback } from '../lib/metrics/address.js';
import { waitFor } from './support/procs.js';
import { VirtualClock } from '../lib/testing/index.js';

interface Sample { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }
interface Family { name: string; help: string; type: string; metrics: Sample[] }
const parse = parsePrometheus as unknown as (text: string) => Family[];

const ROUTES = fileURLToPath(new URL('./fixtures/metrics/routes.mjs', import.meta.url));
const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const NAMES = ['ticks_total', 'executions_total', 'missed_total', 'paused_total', 'idle_total', 'errors_total', 'route_calls_total',
  'worker_restarts_total', 'timer_state', 'worker_state', 'interval_seconds', 'precision_lead_seconds',
  'lateness_seconds', 'route_duration_seconds', 'cluster_leader', 'cluster_term', 'fenced_total', 'cluster_members'];

interface Scrape { families: Map<string, Family>; raw: Map<string, Family> }

/**
 * Parses an exposition twice: as typed, and with histogram TYPE lines dropped. The parser folds a
 * histogram's series into one, losing their labels, so their _bucket/_sum/_count lines are read raw.
 */
function parseScrape(text: string): Scrape {
  return {
    families: new Map(parse(text).map((f) => [f.name, f])),
    raw: byName(parse(text.replace(/^# TYPE \S+ histogram$/gm, ''))),
  };
}

/** Untyped, each run of lines of one name is a family of its own: join them. */
function byName(families: Family[]): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const f of families) {
    const seen = out.get(f.name);
    if (seen) seen.metrics.push(...f.metrics); else out.set(f.name, { ...f, metrics: [...f.metrics] });
  }
  return out;
}

async function scrape(registry: client.Registry): Promise<Scrape> { return parseScrape(await registry.metrics()); }

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

/** The sample of `family` whose labels are exactly `labels`. */
function sample(s: Scrape, family: string, labels: Record<string, string>, from: 'families' | 'raw' = 'families'): Sample {
  const f = s[from].get(family);
  assert.ok(f, `no family ${family}`);
  const found = f.metrics.filter((m) => sameLabels(m.labels, labels));
  assert.equal(found.length, 1, `${family}${JSON.stringify(labels)}: ${found.length} samples in ${JSON.stringify(f.metrics.map((m) => m.labels))}`);
  return found[0];
}

const num = (s: Scrape, family: string, labels: Record<string, string>) => Number(sample(s, family, labels).value);

/** A histogram series: its buckets by `le`, count and sum. */
function histogram(s: Scrape, family: string, labels: Record<string, string>): Sample {
  const buckets: Record<string, string> = {};
  for (const m of s.raw.get(`${family}_bucket`)?.metrics ?? []) {
    const { le, ...rest } = m.labels ?? {};
    if (sameLabels(rest, labels)) buckets[le] = m.value!;
  }
  return { buckets, count: sample(s, `${family}_count`, labels, 'raw').value, sum: sample(s, `${family}_sum`, labels, 'raw').value };
}

/** Buckets in `le` order must never decrease; +Inf must equal the count. */
function assertHistogram(s: Sample, what: string): number {
  const les = Object.keys(s.buckets!);
  assert.deepEqual(les.filter((l) => l !== '+Inf').map(Number).sort((a, b) => a - b), [...LE_SECONDS], `${what}: le bounds`);
  const counts = [...LE_SECONDS.map((le) => Number(s.buckets![String(le)])), Number(s.buckets!['+Inf'])];
  counts.forEach((c, i) => assert.ok(i === 0 || c >= counts[i - 1], `${what}: bucket ${i} (${c}) below the one before (${counts[i - 1]})`));
  assert.equal(counts.at(-1), Number(s.count), `${what}: +Inf equals _count`);
  return Number(s.count);
}

describe('metrics: rtimerCollector', function () {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

  it('exposes counters, states, lead and histograms per timer, read from stats() at each scrape', async () => {
    const registry = new client.Registry();
    const rt = new RTimer({ routes: ROUTES });
    rt.on('error', () => undefined); // THROW's errors are the point
    rt.timer({ name: 'fast', interval: '10ms', mode: 'inline' }).exec('timer=fast;route=OK');
    rt.timer({ name: 'bad', interval: '10ms', mode: 'inline' }).exec('timer=bad;route=THROW');
    rt.timer('name=slow;mode=0;interval=1').exec('timer=slow;route=OK');
    cleanup.push(() => rt.stop());
    const collector = rtimerCollector(rt, { registry });
    assert.deepEqual(collector.names, NAMES.map((n) => `rtimer_${n}`));
    await rt.start();
    await waitFor(() => rt.stats().every((t) => t.name === 'slow' || t.executions >= 3), 5000);
    const first = await scrape(registry);
    await waitFor(() => rt.stats()[0].executions >= num(first, 'rtimer_executions_total', { timer: 'fast' }) + 3, 5000);
    const second = await scrape(registry);

    assert.deepEqual([...second.families.keys()].sort(), NAMES.map((n) => `rtimer_${n}`).sort());
    for (const [name, f] of second.families) {
      const type = name.endsWith('_total') ? 'COUNTER' : name.endsWith('_seconds') && name !== 'rtimer_interval_seconds'
        && name !== 'rtimer_precision_lead_seconds' ? 'HISTOGRAM' : 'GAUGE';
      assert.equal(f.type, type, name);
      assert.ok(f.help.length > 10, `${name} has a help text`);
    }
    for (const timer of ['fast', 'bad']) {
      for (const c of ['ticks_total', 'executions_total', 'route_calls_total']) {
        const [a, b] = [num(first, `rtimer_${c}`, { timer }), num(second, `rtimer_${c}`, { timer })];
        assert.ok(a >= 1 && b > a, `rtimer_${c}{timer="${timer}"} grows between scrapes: ${a} then ${b}`);
      }
      assert.equal(num(second, 'rtimer_paused_total', { timer }), 0);
      assert.ok(num(second, 'rtimer_precision_lead_seconds', { timer }) >= 0);
      assert.equal(num(second, 'rtimer_interval_seconds', { timer }), 0.01);
      assert.equal(num(second, 'rtimer_timer_state', { timer, state: 'running' }), 1);
      for (const state of ['paused', 'ended', 'failed', 'stopped']) assert.equal(num(second, 'rtimer_timer_state', { timer, state }), 0);
    }
    assert.equal(num(second, 'rtimer_errors_total', { timer: 'fast' }), 0);
    assert.ok(num(second, 'rtimer_errors_total', { timer: 'bad' }) > num(first, 'rtimer_errors_total', { timer: 'bad' }));
    assert.equal(num(second, 'rtimer_interval_seconds', { timer: 'slow' }), 1);
    assert.equal(second.families.get('rtimer_precision_lead_seconds')!.metrics.some((m) => m.labels?.timer === 'slow'), false,
      'a mode 0 timer has no native thread, hence no lead');
    assert.equal(second.families.get('rtimer_worker_restarts_total')!.metrics.length, 0, 'no mode=N timer, no worker series');

    const late = histogram(second, 'rtimer_lateness_seconds', { timer: 'fast' });
    const dur = histogram(second, 'rtimer_route_duration_seconds', { timer: 'fast' });
    assert.ok(assertHistogram(late, 'lateness') >= 1);
    assert.ok(assertHistogram(dur, 'duration') >= 1);
    assert.ok(Number(late.sum) > 0 && Number(late.sum) / Number(late.count) < 1, 'lateness in seconds, not ns');
    assert.ok(Number(histogram(first, 'rtimer_lateness_seconds', { timer: 'fast' }).count) < Number(late.count), 'lateness count grows');

    // Stopped: every figure equals stats() exactly, and the state flips.
    await rt.stop();
    const stopped = await scrape(registry);
    for (const t of rt.stats()) {
      const labels = { timer: t.name };
      assert.deepEqual(['ticks', 'executions', 'missed', 'errors', 'routeCalls'].map((k) => num(stopped, `rtimer_${k === 'routeCalls' ? 'route_calls' : k}_total`, labels)),
        [t.ticks, t.executions, t.missed, t.errors, t.routeCalls], t.name);
      assert.equal(num(stopped, 'rtimer_timer_state', { ...labels, state: 'stopped' }), 1);
      assert.equal(num(stopped, 'rtimer_timer_state', { ...labels, state: 'running' }), 0);
      const d = histogram(stopped, 'rtimer_route_duration_seconds', labels);
      assert.equal(assertHistogram(d, 'duration'), t.duration.count);
      assert.deepEqual(Object.values(d.buckets!).map(Number).sort((a, b) => a - b), toPromHistogram(t.duration).cumulative);
    }
    collector.unregister();
    assert.equal((await registry.metrics()).trim(), '', 'unregister() removes every metric');
  });

  it('follows a VirtualClock exactly: executions, ticks, lateness and durations as clock.tick() made them', async () => {
    const registry = new client.Registry();
    const clock = new VirtualClock();
    const rt = new RTimer({ clock, routes: { R: (_m, ctx) => { if (ctx.tick === 3) ctx.spend('30ms'); } } });
    rt.timer({ name: 'v', interval: '100ms', mode: 'inline' }).exec({ timer: 'v', route: 'R' });
    cleanup.push(() => rt.stop());
    const collector = rtimerCollector(rt, { registry });
    cleanup.push(() => collector.unregister());
    await rt.start();
    const before = await scrape(registry);
    assert.deepEqual(['ticks_total', 'executions_total'].map((c) => num(before, `rtimer_${c}`, { timer: 'v' })), [0, 0]);
    await clock.tick('1s');
    const after = await scrape(registry);
    const labels = { timer: 'v' };
    assert.deepEqual(['ticks_total', 'executions_total', 'missed_total', 'route_calls_total'].map((c) => num(after, `rtimer_${c}`, labels)), [10, 10, 0, 10]);
    const late = histogram(after, 'rtimer_lateness_seconds', labels);
    assert.equal(assertHistogram(late, 'lateness'), 10);
    assert.equal(Number(late.sum), 0, 'no lateness on virtual time: every route starts at its deadline');
    assert.equal(Number(late.buckets!['0.000001']), 10);
    const dur = histogram(after, 'rtimer_route_duration_seconds', labels);
    assert.equal(assertHistogram(dur, 'duration'), 10);
    assert.ok(Math.abs(Number(dur.sum) - 0.03) < 0.001, `the 30 ms tick 3 spent is the duration sum: ${dur.sum}`);
    assert.deepEqual([dur.buckets!['0.000001'], dur.buckets!['0.02'], dur.buckets!['0.05']].map(Number), [9, 9, 10], 'one route took 30 ms, the rest none');
    await clock.tick('500ms');
    assert.equal(num(await scrape(registry), 'rtimer_executions_total', labels), 15, 'and moves only when the clock does');
  });

  it('labels mode=N series by worker and counts restarts monotonically past the supervisor window', async function () {
    this.timeout(30_000);
    const registry = new client.Registry();
    const rt = new RTimer({ routes: ROUTES, supervisor: { maxRestarts: 1000, restartWindowMs: 100, backoffMs: 5, maxBackoffMs: 5 } });
    rt.timer('name=pair;mode=2;interval=20000u').exec('timer=pair;route=OK');
    rt.timer('name=dies;mode=1;interval=10000u').exec('timer=dies;route=DIE');
    let restarts = 0;
    rt.on('error', () => undefined); // a worker restarting as stop() comes may report it
    rt.on('worker-exit', (e: WorkerExitEvent) => { if (e.timer === 'dies' && e.restartInMs !== null) restarts++; });
    cleanup.push(() => rt.stop());
    rtimerCollector(rt, { registry, prefix: 'app_rtimer_' });
    await rt.start();
    const seen: number[] = [];
    let windowDropped = false;
    while (seen.length < 200 && (restarts < 4 || !windowDropped)) {
      await new Promise((r) => setTimeout(r, 25));
      const m = await scrape(registry);
      const total = num(m, 'app_rtimer_worker_restarts_total', { timer: 'dies', worker: '0' });
      const windowed = rt.stats().find((t) => t.name === 'dies')!.workers![0].restarts;
      assert.equal(total, restarts, 'one per restart the supervisor decided');
      if (seen.length) assert.ok(total >= seen.at(-1)!, `never goes down: ${seen.join(',')},${total}`);
      if (windowed < total) windowDropped = true;
      seen.push(total);
    }
    assert.ok(restarts >= 4 && windowDropped, `${restarts} restarts; stats() window dropped below the counter: ${windowDropped}`);
    await waitFor(() => rt.stats()[0].workers!.every((w) => w.executions >= 2), 10_000);
    const m = await scrape(registry);
    for (const worker of ['0', '1']) {
      const labels = { timer: 'pair', worker };
      assert.ok(num(m, 'app_rtimer_executions_total', labels) >= 2);
      assert.equal(num(m, 'app_rtimer_worker_restarts_total', labels), 0);
      assert.equal(num(m, 'app_rtimer_worker_state', { ...labels, state: 'running' }), 1);
      assert.equal(num(m, 'app_rtimer_worker_state', { ...labels, state: 'restarting' }), 0);
      assert.ok(num(m, 'app_rtimer_precision_lead_seconds', labels) >= 0);
      assertHistogram(histogram(m, 'app_rtimer_lateness_seconds', labels), `lateness of worker ${worker}`);
    }
    assert.equal(m.families.get('app_rtimer_executions_total')!.metrics.some((s) => s.labels?.timer === 'pair' && s.labels.worker === undefined), false,
      'a mode=N timer has per-worker series only, so sum() does not count twice');
    assert.equal(num(m, 'app_rtimer_timer_state', { timer: 'pair', state: 'running' }), 1);
  });

  it('reads a Histogram exactly at its bucket edges: le=B counts the values up to B\' >= 0.983 B', () => {
    const h = new Histogram();
    const values: number[] = [];
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20000; i++) {
      const v = Math.round(10 ** (1.5 + rnd() * 8)); // 30 ns .. 3 s, log-uniform
      values.push(v);
      h.record(v);
    }
    for (const v of [990, 991, 992, 999, 1000, 1001, 49151, 49152, 50000]) { values.push(v); h.record(v); }
    h.record(2 ** 49); // past the histogram's range: counts in +Inf only
    const p = toPromHistogram(h);
    LE_SECONDS.forEach((le, i) => {
      const bound = Math.round(le * 1e9);
      const upTo = exactUpToNs(i);
      assert.ok(upTo <= bound && upTo >= 0.983 * bound, `le=${le}: exact up to ${upTo} ns`);
      assert.equal(p.cumulative[i], values.filter((v) => v <= upTo).length, `le=${le}`);
    });
    assert.equal(p.cumulative.at(-1), values.length + 1);
    assert.equal(p.count, values.length + 1);
    const sum = values.reduce((a, b) => a + b, 0) / 1e9;
    assert.ok(Math.abs(p.sumSeconds - sum) < sum * 1e-9, `${p.sumSeconds} vs ${sum}`);
  });

  it('works with an OpenMetrics registry and refuses a second set of the same names', async () => {
    const registry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE) as unknown as client.Registry;
    const rt = new RTimer({ routes: ROUTES });
    rt.timer({ name: 'fast', interval: '10ms', mode: 'inline' }).exec('timer=fast;route=OK');
    cleanup.push(() => rt.stop());
    const c = rtimerCollector(rt, { registry });
    await rt.start();
    await waitFor(() => rt.stats()[0].executions >= 1, 5000);
    const text = await registry.metrics();
    assert.match(text, /^# TYPE rtimer_ticks counter$/m);
    assert.match(text, /^rtimer_ticks_total\{timer="fast"\} [1-9]/m);
    assert.match(text, /^rtimer_lateness_seconds_bucket\{timer="fast",le="\+Inf"\} [1-9]/m);
    assert.match(text, /# EOF\n$/);
    assert.throws(() => rtimerCollector(rt, { registry }), (e: RTimerError) =>
      e.code === 'ERR_RTIMER_METRICS_REGISTERED' && e.message.includes('"rtimer_ticks_total"') && e.message.includes('prefix'));
    c.unregister();
    assert.doesNotMatch(await registry.metrics(), /rtimer_/, 'unregister() finds counters an OpenMetrics registry renamed');
    rtimerCollector(rt, { registry }).unregister(); // the names are free again
  });

  it('rejects bad arguments with a code naming the offending value', () => {
    const rt = new RTimer();
    const registry = new client.Registry();
    assert.throws(() => rtimerCollector(rt, { registry, prefix: '9lives_' }), (e: RTimerError) =>
      e.code === 'ERR_RTIMER_BAD_METRICS_PREFIX' && e.message.includes('"9lives_"'));
    assert.throws(() => rtimerCollector(rt, { registry: {} as client.Registry }), (e: RTimerError) => e.code === 'ERR_RTIMER_BAD_REGISTRY');
    assert.throws(() => rtimerCollector({} as RTimer, { registry }), (e: RTimerError) => e.code === 'ERR_RTIMER_BAD_COLLECTOR_ARG');
    assert.equal(registry.getMetricsAsArray().length, 0, 'nothing half-registered');
  });

  it('uses prom-client\'s default register when no registry is given', async () => {
    const rt = new RTimer();
    const c = rtimerCollector(rt);
    cleanup.push(() => c.unregister());
    assert.equal(c.registry, client.register);
    assert.match(await client.register.metrics(), /# TYPE rtimer_executions_total counter/);
  });
});

describe('metrics: prom-client is optional', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-prom-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('without prom-client, a clear ERR_RTIMER_NO_PROM_CLIENT (resolved from a place that has none)', () => {
    const req = createRequire(join(dir, 'x.js'));
    assert.throws(() => req.resolve('prom-client'), 'the test directory must not see prom-client');
    assert.throws(() => loadPromClient(req), (e: RTimerError) =>
      e instanceof RTimerError && e.code === 'ERR_RTIMER_NO_PROM_CLIENT' && /npm install prom-client/.test(e.message));
  });

  it('a prom-client that fails to load is reported as such, with its cause', () => {
    mkdirSync(join(dir, 'node_modules', 'prom-client'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'prom-client', 'index.js'), 'require("tdigest-not-installed");');
    assert.throws(() => loadPromClient(createRequire(join(dir, 'x.js'))), (e: RTimerError) =>
      e.code === 'ERR_RTIMER_PROM_CLIENT_FAILED' && e.message.includes('tdigest-not-installed') && e.cause instanceof Error);
    writeFileSync(join(dir, 'node_modules', 'prom-client', 'index.js'), 'module.exports = { version: 1 };');
    assert.throws(() => loadPromClient(createRequire(join(dir, 'x.js'))), (e: RTimerError) =>
      e.code === 'ERR_RTIMER_PROM_CLIENT_FAILED' && e.message.includes('v15'));
  });

  it('importing node-rtimer does not load prom-client', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      `await import(${JSON.stringify(DIST_INDEX)}); const { createRequire } = await import('node:module');
       const cache = createRequire(import.meta.url).cache; console.log(Object.keys(cache).filter((k) => k.includes('prom-client')).length);`],
    { encoding: 'utf8' });
    assert.equal(out.trim(), '0');
  });
});

describe('metrics: serveMetrics', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

  function get(url: string, method = 'GET', agent?: Agent): Promise<{ status: number; type: string; body: string; allow?: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: agent ?? false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () =>
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, allow: res.headers.allow as string | undefined }));
      });
      req.on('error', reject).end();
    });
  }

  it('adds the series to the app\'s own served registry, given as `registry` or prom-client\'s name `register`', async () => {
    for (const key of ['registry', 'register'] as const) {
      const appRegistry = new client.Registry();
      const rt = new RTimer({ routes: ROUTES });
      rt.timer({ name: 'fast', interval: '10ms', mode: 'inline' }).exec('timer=fast;route=OK');
      cleanup.push(() => rt.stop());
      const c = rtimerCollector(rt, { [key]: appRegistry });
      cleanup.push(() => c.unregister());
      assert.equal(c.registry, appRegistry);
      await rt.start();
      // The app's own endpoint, serving its registry: no serveMetrics involved.
      const app = createHttpServer(async (_req, res) => res.end(await appRegistry.metrics()));
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      cleanup.push(() => new Promise((r) => app.close(r)));
      await waitFor(() => rt.stats()[0].executions >= 1, 5000);
      const { port } = app.address() as AddressInfo;
      assert.ok(num(parseScrape((await get(`http://127.0.0.1:${port}/metrics`)).body), 'rtimer_executions_total', { timer: 'fast' }) >= 1, key);
    }
    const rt = new RTimer();
    assert.throws(() => rtimerCollector(rt, { registry: new client.Registry(), register: new client.Registry() }),
      (e: RTimerError) => e.code === 'ERR_RTIMER_BAD_REGISTRY' && /alias `register`/.test(e.message));
    const own = new client.Registry();
    const srv = await serveMetrics(rt, { port: 0, register: own });
    cleanup.push(() => srv.close());
    assert.match(await own.metrics(), /rtimer_ticks_total/, 'serveMetrics takes the alias too');
  });

  it('serves GET /metrics with the registry\'s content type, 404 elsewhere, 405 for other methods', async () => {
    const rt = new RTimer({ routes: ROUTES });
    rt.timer({ name: 'fast', interval: '10ms', mode: 'inline' }).exec('timer=fast;route=OK');
    cleanup.push(() => rt.stop());
    await rt.start();
    const srv = await serveMetrics(rt, { port: 0 });
    cleanup.push(() => srv.close());
    assert.equal(srv.address.address, '127.0.0.1');
    assert.equal(srv.url, `http://127.0.0.1:${srv.address.port}/metrics`);
    await waitFor(() => rt.stats()[0].executions >= 1, 5000);
    const agent = new Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    const ok = await get(srv.url, 'GET', agent);
    assert.equal(ok.status, 200);
    assert.equal(ok.type, client.Registry.PROMETHEUS_CONTENT_TYPE);
    assert.ok(num(parseScrape(ok.body), 'rtimer_executions_total', { timer: 'fast' }) >= 1);
    assert.equal((await get(srv.url + '?x=1')).status, 200);
    assert.equal((await get(srv.url, 'HEAD')).body, '');
    assert.equal((await get(srv.url.replace('/metrics', '/'))).status, 404);
    assert.equal((await get(srv.url.replace('/metrics', '/metricsx'))).status, 404);
    const post = await get(srv.url, 'POST');
    assert.deepEqual([post.status, post.allow], [405, 'GET, HEAD']);
    await srv.close(); // with the keep-alive connection still open
    await assert.rejects(get(srv.url), /ECONNREFUSED/);
  });

  it('refuses a non-loopback host unless public, naming the host and --metrics-public', async () => {
    const rt = new RTimer();
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'example.org']) {
      await assert.rejects(serveMetrics(rt, { host, port: 0 }), (e: RTimerError) =>
        e.code === 'ERR_RTIMER_METRICS_NOT_LOOPBACK' && e.message.includes(`"${host}"`) && e.message.includes('--metrics-public'));
    }
    const srv = await serveMetrics(rt, { host: '0.0.0.0', port: 0, public: true });
    cleanup.push(() => srv.close());
    assert.equal(srv.address.address, '0.0.0.0');
    for (const port of [-1, 65536, 1.5, NaN]) {
      await assert.rejects(serveMetrics(rt, { port }), (e: RTimerError) => e.code === 'ERR_RTIMER_BAD_METRICS_ADDRESS' && e.message.includes(String(port)));
    }
  });

  it('checks the address a name resolves to and the one bound, not the name: metrics.localhost resolving to 0.0.0.0 is refused (issue 17)', async () => {
    const rt = new RTimer();
    const registry = new client.Registry();
    const asked: string[] = [];
    const to = (address: string) => async (h: string) => { asked.push(h); return { address }; };
    for (const address of ['0.0.0.0', '10.1.2.3', '::']) {
      await assert.rejects(serveMetrics(rt, { host: 'metrics.localhost', port: 0, registry, lookup: to(address) }), (e: RTimerError) =>
        e.code === 'ERR_RTIMER_METRICS_NOT_LOOPBACK' && e.message.includes('"metrics.localhost"') && e.message.includes(address));
    }
    assert.deepEqual(asked, ['metrics.localhost', 'metrics.localhost', 'metrics.localhost']);
    assert.equal(registry.getMetricsAsArray().length, 0, 'nothing left registered');
    const srv = await serveMetrics(rt, { host: 'metrics.localhost', port: 0, registry, lookup: to('127.0.0.1') });
    cleanup.push(() => srv.close());
    assert.equal(srv.address.address, '127.0.0.1', 'the resolved address is the one bound');
    await assert.rejects(serveMetrics(rt, { host: 'nowhere.localhost', port: 0, lookup: () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) }),
      (e: RTimerError) => e.code === 'ERR_RTIMER_METRICS_LISTEN' && /cannot resolve metrics host "nowhere\.localhost": ENOTFOUND/.test(e.message));
  });

  it('reports a port in use with the address, and leaves the registry as it was', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as { port: number }).port;
    const registry = new client.Registry();
    await assert.rejects(serveMetrics(new RTimer(), { port, registry }), (e: RTimerError) =>
      e.code === 'ERR_RTIMER_METRICS_LISTEN' && e.message.includes(`127.0.0.1:${port}`) && e.message.includes('EADDRINUSE'));
    assert.equal(registry.getMetricsAsArray().length, 0);
  });

  it('serves a registry that already has the RTimer\'s metrics (and other ones) without registering twice', async () => {
    const rt = new RTimer();
    const registry = new client.Registry();
    const own = new client.Counter({ name: 'app_jobs_total', help: 'Jobs.', registers: [registry] });
    own.inc(3);
    const c = rtimerCollector(rt, { registry });
    cleanup.push(() => c.unregister());
    const srv = await serveMetrics(rt, { port: 0, registry });
    const { body } = await get(srv.url);
    assert.match(body, /^app_jobs_total 3$/m);
    assert.match(body, /# TYPE rtimer_ticks_total counter/);
    await srv.close();
    assert.ok(registry.getSingleMetric('rtimer_ticks_total'), 'close() leaves metrics it did not register');
    const fresh = await serveMetrics(rt, { port: 0, registry: new client.Registry() });
    await fresh.close();
  });
});

describe('metrics: parseMetricsAddress', () => {
  it('reads host:port, [ipv6]:port, :port and a bare port', () => {
    assert.deepEqual(parseMetricsAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseMetricsAddress('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseMetricsAddress(':9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseMetricsAddress('9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseMetricsAddress('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseMetricsAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 }, 'parsing is not the place to refuse it');
  });

  it('names the text and the problem', () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1', /port is missing/], ['::1:9464', /IPv6 address in brackets/], ['[::1]', /port is missing/],
      ['[127.0.0.1]:9464', /not an IPv6 address/], ['[::1]9464', /followed by :port/], ['127.0.0.1:65536', /port "65536"/],
      ['127.0.0.1:http', /port "http"/], ['127.0.0.1:', /port ""/], ['', /port is missing/], ['a b:9464', /"a b" is not a host/],
    ];
    for (const [text, why] of cases) {
      assert.throws(() => parseMetricsAddress(text), (e: RTimerError) =>
        e.code === 'ERR_RTIMER_BAD_METRICS_ADDRESS' && e.message.includes(`"${text}"`) && why.test(e.message), text);
    }
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'metrics.localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'fe80::1%lo', '128.0.0.1', 'example.org', '']) assert.ok(!isLoopback(h), h);
  });
});
