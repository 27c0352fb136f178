// Entry point of a dedicated timer process (mode=N): loads the routes module, arms one native
// timer in its own event loop, and reports to the parent over IPC. Started by child_process.fork.
import { binding } from '../native/binding.js';
import type { RTimerRouteError } from '../errors.js';
import { RTimerError } from '../errors.js';
import { findRoute, loadRoutes, resolveRoutes, type Route } from '../route/routes.js';
import { NativeRunner, rehearse } from '../schedule/native-runner.js';
import { TimerRuntime } from '../schedule/runtime.js';
import { applyControl, nativeCounts } from '../schedule/control.js';
import { describeThrown } from './describe.js';
import { workerGate, type WorkerGate } from '../cluster/worker-gate.js';
import { diffSnapshot, HISTOGRAMS, parseToWorker, TAG, type FromWorker, type HistogramName, type ReportMessage, type ToWorker } from './protocol.js';

// A message that cannot be sent (the channel closed, a value that does not serialize) is dropped:
// reporting must never take the worker down.
type Body<T> = T extends unknown ? Omit<T, 'rtimer' | 'token'> : never;
// The parent's token from 'start', proof that a message is ours: kept here, out of the routes' reach
// (not in env, not on process).
let token = '';
const send = (m: Body<FromWorker>): void => {
  if (!process.connected || !token) return;
  try { process.send!({ rtimer: TAG, token, ...m }, undefined, {}, () => undefined); } catch { /* dropped */ }
};

/** What the parent is told when a step fails: the error's own code, or `fallback`. */
const failed = (err: unknown, fallback: string): void => {
  const code = (err as { code?: unknown } | null)?.code;
  send({ type: 'failed', code: typeof code === 'string' ? code : fallback, message: describeThrown(err).message });
  process.disconnect?.();
};

// No orphans: the kernel kills this process when its parent dies (Linux), and a parent that died
// before that was set up, or that closed the channel, ends it too.
binding.setParentDeathSignal();
if (process.env.RTIMER_PARENT_PID && Number(process.env.RTIMER_PARENT_PID) !== process.ppid) process.exit(0);
process.on('disconnect', () => process.exit(0));
// Ctrl-C and a service manager's SIGTERM reach the whole process group. The parent owns this
// worker's shutdown (it sends 'stop', waits stopGraceMs, then kills), so these are left to it,
// as long as there is a parent to do it.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { if (!process.connected) process.exit(0); });

let runner: NativeRunner | null = null;
let runtime: TimerRuntime | null = null;
/** A cluster timer's gate, fed the parent's grants from the 'start' message on. */
let gate: WorkerGate | null = null;
let onStop: Route | undefined;
let hookInfo: { timer: string; worker: number; workers: number; pid: number } | null = null;
let statsIntervalMs = 1000;
let stopping = false;
let armed = false;
/**
 * A restarted worker of a paused timer starts paused: its start route waits for the resume. Verbs
 * that come while it loads (the parent answered before this worker could apply them) update it.
 */
let startPaused = false;
/** Its start route has not run yet: the resume runs it (then the loop), as any restart does. */
let startOwed = false;
const sent: Partial<Record<HistogramName, Float64Array>> = {};

function report(): ReportMessage {
  const { wake, callback, hop, ...native } = runner!.stats().raw;
  const now = { wake, callback, hop, duration: runtime!.duration.toSnapshot() };
  const hist: ReportMessage['hist'] = {};
  for (const name of HISTOGRAMS) {
    const d = diffSnapshot(sent[name] ?? null, now[name]);
    if (d) { hist[name] = d; sent[name] = now[name]; }
  }
  return { pid: process.pid, counters: { ...runtime!.counters, ...nativeCounts(native, runtime!) }, native, hist,
    ...(gate ? { cluster: gate.counts() } : {}) };
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { routes, from } = await loadRoutes(m.routes);
  const found = resolveRoutes(routes, from, [m.timer]);
  const hook = (name: string | undefined) => (name === undefined ? undefined : found.get(name));
  hookInfo = { timer: m.timer.name, worker: m.worker, workers: m.workers, pid: process.pid };
  const onStart = findRoute(routes, 'onWorkerStart');
  onStop = findRoute(routes, 'onWorkerStop');
  try {
    await (onStart as ((info: unknown) => unknown) | undefined)?.(hookInfo);
  } catch (err) {
    throw new RTimerError('ERR_RTIMER_WORKER_INIT', `onWorkerStart of ${from} threw: ${describeThrown(err).message}`);
  }
  runtime = new TimerRuntime(m.timer, m.timer.routes.map((r) => found.get(r)!), m.worker, (err: RTimerRouteError) => {
    send({ type: 'route-error', route: err.route, ...describeThrown(err.cause) });
  }, false, {
    start: hook(m.timer.start), end: hook(m.timer.end),
    onState: (c) => send({ type: 'state', ...c }), ...(gate ? { gate } : {}),
  });
  runner = new NativeRunner(runtime, rehearse([runtime]));
  statsIntervalMs = m.statsIntervalMs;
  if (startPaused) {
    runtime.life.pause();
    startOwed = true;
    return;
  }
  // ptimer's start: once per worker, before its timer is armed (the first tick comes one interval after the arm).
  await runtime.life.begin('start');
  await runtime.settled();
}

process.on('message', (raw: unknown) => {
  const m = parseToWorker(raw);
  if (!m) return;
  if (m.type === 'start') {
    // Only the parent's first: a route re-emitting 'message' neither reloads nor changes the token.
    if (token) return;
    token = m.token;
    startPaused = m.paused === true;
    if (m.cluster) gate = workerGate(m.timer, m.cluster, m.worker, m.workers);
    start(m).then(() => send({ type: 'loaded', pid: process.pid }), (err: unknown) => failed(err, 'ERR_RTIMER_WORKER_START'));
  } else if (m.type === 'cluster') {
    gate?.apply(m.grant);
  } else if (m.type === 'arm' && runner && !stopping) {
    const armedAtNs = binding.now();
    try {
      runner.start(m.anchorNs);
    } catch (err) {
      // ERR_RTIMER_START (no fds, no thread): the parent's arm step fails with it, not a crash here.
      failed(err, 'ERR_RTIMER_START');
      return;
    }
    armed = true;
    // The reports double as the heartbeat the parent's watchdog listens for.
    setInterval(() => send({ type: 'stats', report: report() }), statsIntervalMs).unref();
    send({ type: 'armed', pid: process.pid, armedAtNs });
  } else if (m.type === 'control' && (!runtime || stopping)) {
    // Not loaded yet (a pause or resume is kept for when it is; the parent applies a pause again
    // once it is armed) or stopping: nothing else to do.
    if (!runtime && (m.verb === 'pause' || m.verb === 'resume')) startPaused = m.verb === 'pause';
    send({ type: 'control-done', id: m.id, state: runtime?.life.current ?? (startPaused ? 'paused' : 'running') });
  } else if (m.type === 'control' && runtime) {
    const rt = runtime;
    // The first resume of a worker that started paused runs its start route; any jump settles it too.
    let verb = m.verb;
    if (startOwed && verb !== 'pause' && verb !== 'tick') {
      startOwed = false;
      if (verb === 'resume') verb = 'start';
    }
    applyControl(rt, verb).then(() => {
      // Fresh counters first, so that what the parent lists right after the verb already shows it.
      if (runner && armed) send({ type: 'stats', report: report() });
      send({ type: 'control-done', id: m.id, state: rt.life.current });
    });
  } else if (m.type === 'stop' && !stopping) {
    stopping = true;
    (async () => {
      if (runtime) runtime.life.halted = true;
      await runner?.stop();
      // ptimer's end: once, after the last tick and before onWorkerStop (unless a -1 already ran it).
      // Not for a worker that started paused and was never resumed: it ran no route, start included.
      if (runtime && !startOwed) { await runtime.life.finish('stop'); await runtime.settled(); }
      try {
        await (onStop as ((info: unknown) => unknown) | undefined)?.(hookInfo);
      } catch (err) {
        send({ type: 'route-error', route: 'onWorkerStop', ...describeThrown(err) });
      }
      if (runner) send({ type: 'stopped', report: report() });
      process.disconnect?.();
    })();
  }
});
