import type { RTimer } from '../rtimer.js';
import type { TimerStats } from '../stats/timer-stats.js';
import type { ClusterTimerStats } from '../cluster/once-gate.js';
import type { WorkerExitEvent, WorkerStats } from '../process/supervisor.js';
import type { Histogram } from '../stats/histogram.js';
import { RTimerError } from '../errors.js';
import { LE_SECONDS, toPromHistogram } from './buckets.js';
import { assertRegistry, givenRegistry, loadPromClient, type MetricsRegistry } from './prom-client.js';

export interface RTimerCollectorOptions {
  /** The prom-client Registry to register in (your app's, or prom-client's default `register`, the default). */
  registry?: MetricsRegistry;
  /** Alias of `registry`, as prom-client names its default registry. */
  register?: MetricsRegistry;
  /** Prepended to every metric name. Default 'rtimer_'. */
  prefix?: string;
}

export interface RTimerCollector {
  readonly registry: MetricsRegistry;
  /** The metric names it registered. */
  readonly names: readonly string[];
  /** Removes its metrics from the registry and stops listening to the RTimer. */
  unregister(): void;
}

type Labels = Record<string, string>;
interface Value { metricName?: string; labels: Labels; value: number }

/** What a timer, or one worker of a mode=N timer, counts. `paused` is read when stats() has it. */
interface Series {
  labels: Labels;
  c: Pick<TimerStats, 'ticks' | 'executions' | 'missed' | 'errors' | 'routeCalls' | 'lateness' | 'duration'> & { paused?: number; idle?: number };
  leadNs?: number;
  restarts?: number;
  workerState?: string;
}

interface Snapshot {
  series: Series[];
  timers: { labels: Labels; state: string; intervalSeconds: number; cluster?: ClusterTimerStats }[];
}

/** Cluster timers only: one series per timer of `pick`. */
const clusterGauge = (suffix: string, help: string, type: 'gauge' | 'counter', pick: (c: ClusterTimerStats) => number | undefined): Family => ({
  suffix, type, help, aggregator: type === 'counter' ? 'sum' : 'max',
  values: (s) => s.timers.flatMap((t) => {
    const v = t.cluster ? pick(t.cluster) : undefined;
    return v === undefined ? [] : [{ labels: t.labels, value: v }];
  }),
});

interface Family {
  suffix: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  aggregator: 'sum' | 'max' | 'first';
  values(s: Snapshot, name: string): Value[];
}

/** Every state gets a 0/1 series, so a change shows as a flip rather than a series appearing. */
const TIMER_STATES = ['running', 'paused', 'ended', 'failed', 'stopped'];
const WORKER_STATES = ['starting', 'running', 'restarting', 'stopped', 'failed'];
const LE_LABELS = [...LE_SECONDS.map(String), '+Inf'];

const counter = (suffix: string, help: string, pick: (c: Series['c']) => number): Family => ({
  suffix, type: 'counter', help, aggregator: 'sum',
  values: (s) => s.series.map(({ labels, c }) => ({ labels, value: pick(c) })),
});

const histogram = (suffix: string, help: string, pick: (c: Series['c']) => Histogram): Family => ({
  suffix, type: 'histogram', help, aggregator: 'sum',
  values: (s, name) => s.series.flatMap(({ labels, c }) => {
    const p = toPromHistogram(pick(c));
    const out: Value[] = p.cumulative.map((value, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: LE_LABELS[i] }, value }));
    out.push({ metricName: `${name}_sum`, labels, value: p.sumSeconds }, { metricName: `${name}_count`, labels, value: p.count });
    return out;
  }),
});

function states(labels: Labels, known: string[], current: string): Value[] {
  return (known.includes(current) ? known : [...known, current]).map((state) => ({ labels: { ...labels, state }, value: state === current ? 1 : 0 }));
}

const FAMILIES: Family[] = [
  counter('ticks_total', 'Deadlines of the timer\'s schedule that passed while it ran.', (c) => c.ticks),
  counter('executions_total', 'Ticks whose routes ran.', (c) => c.executions),
  counter('missed_total', 'Ticks not run: the previous execution was still going, or the timer woke too late for them.', (c) => c.missed),
  counter('paused_total', 'Ticks that passed while the timer was paused.', (c) => c.paused ?? 0),
  counter('idle_total', 'Deadlines that passed while the timer\'s loop was ended: ticks + idle = every deadline.', (c) => c.idle ?? 0),
  counter('errors_total', 'Route calls that threw or rejected.', (c) => c.errors),
  counter('route_calls_total', 'Route calls, errors included (executions times routes).', (c) => c.routeCalls),
  {
    suffix: 'worker_restarts_total', type: 'counter', aggregator: 'sum',
    help: 'Restarts of a dedicated timer process (mode=N) after it exited unexpectedly.',
    values: (s) => s.series.filter((x) => x.restarts !== undefined).map((x) => ({ labels: x.labels, value: x.restarts! })),
  },
  {
    suffix: 'timer_state', type: 'gauge', aggregator: 'sum',
    help: `1 for the timer's current state, 0 for the others (${TIMER_STATES.join(', ')}).`,
    values: (s) => s.timers.flatMap((t) => states(t.labels, TIMER_STATES, t.state)),
  },
  {
    suffix: 'worker_state', type: 'gauge', aggregator: 'sum',
    help: `1 for the dedicated timer process's current state, 0 for the others (${WORKER_STATES.join(', ')}).`,
    values: (s) => s.series.filter((x) => x.workerState !== undefined).flatMap((x) => states(x.labels, WORKER_STATES, x.workerState!)),
  },
  {
    suffix: 'interval_seconds', type: 'gauge', aggregator: 'first',
    help: 'The timer\'s interval.',
    values: (s) => s.timers.map((t) => ({ labels: t.labels, value: t.intervalSeconds })),
  },
  {
    suffix: 'precision_lead_seconds', type: 'gauge', aggregator: 'max',
    help: 'How early the native timer thread wakes before a deadline to spin up to it (precision mode; 0 when off).',
    values: (s) => s.series.filter((x) => x.leadNs !== undefined).map((x) => ({ labels: x.labels, value: x.leadNs! / 1e9 })),
  },
  histogram('lateness_seconds', 'Route start minus its ideal time (start + k*interval). Bucket bounds are exact to 1.7%: values just below one may count under the next.',
    (c) => c.lateness),
  histogram('route_duration_seconds', 'Time from the first route\'s start to the last route\'s end, per execution. Bucket bounds are exact to 1.7%.',
    (c) => c.duration),
  clusterGauge('cluster_leader', "1 while this node leads the cluster: 'once' timer, else 0.", 'gauge',
    (c) => (c.cluster === 'once' ? (c.role === 'leader' ? 1 : 0) : undefined)),
  clusterGauge('cluster_term', "The term (etcd create revision) of this node's leadership of the cluster: 'once' timer; 0 when it does not lead.", 'gauge',
    (c) => (c.cluster === 'once' ? c.term : undefined)),
  clusterGauge('fenced_total', 'Ticks of a cluster timer refused by fencing: this node held it, but its renew deadline had passed.', 'counter', (c) => c.fenced),
  {
    suffix: 'cluster_members', type: 'gauge', aggregator: 'max',
    help: 'Live nodes under the cluster prefix, as this node sees them (with cluster timers only).',
    values: (s) => {
      const c = s.timers.find((t) => t.cluster)?.cluster;
      return c ? [{ labels: {}, value: c.members }] : [];
    },
  },
];

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/;
const OWNER = Symbol('rtimer collector');

/**
 * A prom-client metric family whose values come from one stats() snapshot. prom-client's Histogram
 * only takes observations one at a time, and the figures already exist as bucket counts, so each
 * family is the object its Registry reads (name, help, type, get(), reset()) rather than one of its
 * metric classes: the same exposition code path, no per-tick cost, no copy of the data.
 */
class FamilyMetric {
  readonly [OWNER]: RTimer;
  constructor(public name: string, readonly help: string, readonly type: string, readonly aggregator: string,
    private readonly produce: () => Value[], owner: RTimer) {
    this[OWNER] = owner;
  }
  async get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: this.produce(), aggregator: this.aggregator };
  }
  reset(): void { /* values are read from the RTimer at each scrape; there is nothing to reset */ }
}

/** True if `registry` already holds this RTimer's metrics under `prefix`. */
export function hasCollector(registry: MetricsRegistry, rt: RTimer, prefix = 'rtimer_'): boolean {
  const m = registry.getSingleMetric(`${prefix}${FAMILIES[0].suffix}`) as FamilyMetric | undefined;
  return m?.[OWNER] === rt;
}

/**
 * Registers Prometheus metrics for an RTimer's timers in a prom-client registry. Values are read from
 * `rt.stats()` when the registry is scraped (once per scrape), so timers pay nothing per tick.
 * Needs the optional peer dependency prom-client (v15): throws ERR_RTIMER_NO_PROM_CLIENT without it.
 */
export function rtimerCollector(rt: RTimer, options: RTimerCollectorOptions = {}): RTimerCollector {
  if (rt === null || typeof rt !== 'object' || typeof rt.stats !== 'function' || typeof rt.on !== 'function') {
    throw new RTimerError('ERR_RTIMER_BAD_COLLECTOR_ARG', 'rtimerCollector() needs an RTimer as its first argument');
  }
  if (options === null || typeof options !== 'object') throw new RTimerError('ERR_RTIMER_BAD_COLLECTOR_ARG', 'rtimerCollector() options must be an object');
  const client = loadPromClient();
  const registry = givenRegistry(options) ?? client.register;
  assertRegistry(registry);
  const prefix = options.prefix ?? 'rtimer_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new RTimerError('ERR_RTIMER_BAD_METRICS_PREFIX', `metric prefix "${String(prefix)}" is not valid: use letters, digits, '_' and ':', not starting with a digit`);
  }
  const names = FAMILIES.map((f) => prefix + f.suffix);
  const taken = names.find((n) => registry.getSingleMetric(n) !== undefined);
  if (taken !== undefined) {
    throw new RTimerError('ERR_RTIMER_METRICS_REGISTERED',
      `metric "${taken}" is already registered in this registry; give each RTimer its own prefix or registry`);
  }

  // stats() has only the restarts of the supervisor's window; the counter must never go down, so it
  // counts the restart decisions itself, starting from what the window holds now.
  const restarts = new Map<string, number>();
  for (const t of quietStats(rt)) for (const w of t.workers ?? []) restarts.set(`${t.name}\0${w.worker}`, w.restarts);
  const onExit = (e: WorkerExitEvent) => {
    if (e.restartInMs === null) return;
    const key = `${e.timer}\0${e.worker}`;
    restarts.set(key, (restarts.get(key) ?? 0) + 1);
  };
  rt.on('worker-exit', onExit);

  // Every family of one scrape reads the same snapshot: prom-client asks each family in one
  // synchronous pass, so the snapshot lives until the next microtask.
  let snapshot: Snapshot | null = null;
  const current = (): Snapshot => {
    if (snapshot === null) {
      snapshot = takeSnapshot(rt, restarts);
      queueMicrotask(() => { snapshot = null; });
    }
    return snapshot;
  };
  const metrics = FAMILIES.map((f, i) => new FamilyMetric(names[i], f.help, f.type, f.aggregator, () => f.values(current(), names[i]), rt));
  for (const m of metrics) registry.registerMetric(m as never);
  let registered = true;
  return {
    registry,
    names,
    unregister() {
      if (!registered) return;
      registered = false;
      rt.off('worker-exit', onExit);
      // By the registered name: an OpenMetrics registry renames counters in place (drops `_total`).
      metrics.forEach((m, i) => { if (registry.getSingleMetric(names[i]) === m) registry.removeSingleMetric(names[i]); });
    },
  };
}

/** rt.stats() without its warning before start(): a scrape may well come before the timers run. */
function quietStats(rt: RTimer): TimerStats[] {
  const quiet = (rt as unknown as Record<symbol, (() => TimerStats[]) | undefined>)[Symbol.for('node-rtimer.quietStats')];
  return typeof quiet === 'function' ? quiet.call(rt) : rt.stats();
}

function takeSnapshot(rt: RTimer, restarts: Map<string, number>): Snapshot {
  const series: Series[] = [];
  const timers: Snapshot['timers'] = [];
  for (const t of quietStats(rt)) {
    timers.push({ labels: { timer: t.name }, state: timerState(t, rt.state), intervalSeconds: t.intervalUs / 1e6,
      ...(t.cluster ? { cluster: t.cluster } : {}) });
    if (!t.workers) {
      series.push({ labels: { timer: t.name }, c: t, leadNs: t.native?.leadNs });
      continue;
    }
    for (const w of t.workers) {
      const total = (w as WorkerStats & { restartsTotal?: unknown }).restartsTotal;
      series.push({
        labels: { timer: t.name, worker: String(w.worker) }, c: w, leadNs: w.native?.leadNs, workerState: w.state,
        restarts: typeof total === 'number' ? total : Math.max(restarts.get(`${t.name}\0${w.worker}`) ?? 0, w.restarts),
      });
    }
  }
  return { series, timers };
}

/** A timer's own state when stats() gives one; otherwise what the RTimer and the supervisor say. */
function timerState(t: TimerStats, rtState: string): string {
  const own = (t as TimerStats & { state?: unknown }).state;
  if (typeof own === 'string') return own;
  if (t.failed) return 'failed';
  if (rtState === 'running' || rtState === 'starting') return rtState;
  return 'stopped';
}
