// Entry point of a dedicated timer process (mode=N): loads the routes module, arms one native
// timer in its own event loop, and reports to the parent over IPC. Started by child_process.fork.
import { binding } from '../binding.js';
import { RTimerError } from '../errors.js';
import { findRoute, loadRoutes, resolveRoutes, type Route } from '../route/routes.js';
import { NativeRunner } from '../schedule/native-runner.js';
import { TimerRuntime } from '../schedule/runtime.js';
import type { FromWorker, ToWorker, WorkerReport } from './protocol.js';

const send = (m: FromWorker) => { if (process.connected) process.send!(m); };

// No orphans: the kernel kills this process when its parent dies (Linux), and a parent that died
// before that was set up, or that closed the channel, ends it too.
binding.setParentDeathSignal();
if (process.env.RTIMER_PARENT_PID && Number(process.env.RTIMER_PARENT_PID) !== process.ppid) process.exit(0);
process.on('disconnect', () => process.exit(0));

let runner: NativeRunner | null = null;
let runtime: TimerRuntime | null = null;
let onStop: Route | undefined;
let hookInfo: { timer: string; worker: number; workers: number; pid: number } | null = null;
let statsIntervalMs = 1000;

function report(): WorkerReport {
  const s = runner!.stats();
  return { pid: process.pid, counters: { ...runtime!.counters, ticks: s.ticks, executions: s.executions, missed: s.missed },
    native: s.raw, duration: runtime!.duration.toSnapshot() };
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { routes, from } = await loadRoutes(m.routes);
  const found = resolveRoutes(routes, from, [m.timer]);
  hookInfo = { timer: m.timer.name, worker: m.worker, workers: m.workers, pid: process.pid };
  const onStart = findRoute(routes, 'onWorkerStart');
  onStop = findRoute(routes, 'onWorkerStop');
  try {
    await (onStart as ((info: unknown) => unknown) | undefined)?.(hookInfo);
  } catch (err) {
    throw new RTimerError('ERR_RTIMER_WORKER_INIT', `onWorkerStart of ${from} threw: ${(err as Error)?.message ?? String(err)}`);
  }
  runtime = new TimerRuntime(m.timer, m.timer.routes.map((r) => found.get(r)!), m.worker, (err) => {
    const cause = err.cause as Error | undefined;
    send({ type: 'route-error', route: err.route, message: cause?.message ?? String(err.cause), stack: cause?.stack });
  }, false);
  runner = new NativeRunner(runtime);
  statsIntervalMs = m.statsIntervalMs;
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    start(m).then(() => send({ type: 'loaded', pid: process.pid }), (err: Error & { code?: string }) => {
      send({ type: 'failed', code: err.code ?? 'ERR_RTIMER_WORKER_START', message: err.message });
      process.disconnect?.();
    });
  } else if (m.type === 'arm' && runner) {
    runner.start(m.anchorNs);
    setInterval(() => send({ type: 'stats', report: report() }), statsIntervalMs).unref();
    send({ type: 'armed', pid: process.pid });
  } else if (m.type === 'stop') {
    (async () => {
      await runner?.stop();
      try {
        await (onStop as ((info: unknown) => unknown) | undefined)?.(hookInfo);
      } catch (err) {
        send({ type: 'route-error', route: 'onWorkerStop', message: (err as Error)?.message ?? String(err) });
      }
      if (runner) send({ type: 'stopped', report: report() });
      process.disconnect?.();
    })();
  }
});
