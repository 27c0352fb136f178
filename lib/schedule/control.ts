import type { ControlVerb } from '../process/protocol.js';
import type { Execution, TimerRuntime } from './runtime.js';

/**
 * Applies a control verb to one worker's loop (the timer's, in mode 0 and inline). pause/resume
 * act at once; the jumps wait for the route in flight and for the jumps asked before them, so a
 * start or end never overlaps a tick, and resolve once the routes they ran (and an end a -1 led to)
 * have returned. Never rejects.
 */
export function applyControl(rt: TimerRuntime, verb: ControlVerb, own?: Execution): Promise<void> {
  if (verb === 'pause') { rt.life.pause(); return Promise.resolve(); }
  if (verb === 'resume') { rt.life.resume(); return Promise.resolve(); }
  // Jumps run one after the other, in the order asked, so their routes never overlap. One asked
  // from a route of this timer goes first: queued, it could wait for a jump that waits for that route.
  if (own?.runtime === rt) return jump(rt, verb, own);
  const next = queues.get(rt) ?? Promise.resolve();
  const run = next.then(() => jump(rt, verb));
  // The queue goes on whatever one jump does; its caller alone hears how it ended.
  const done = run.then(() => undefined, () => undefined);
  queues.set(rt, done);
  void done.then(() => { if (queues.get(rt) === done) queues.delete(rt); });
  return run;
}

const queues = new WeakMap<TimerRuntime, Promise<void>>();

async function jump(rt: TimerRuntime, verb: 'start' | 'loop' | 'end' | 'tick', own?: Execution): Promise<void> {
  await rt.settled(own);
  if (rt.life.halted) return; // stop() came meanwhile: it runs end itself
  if (verb === 'start') await rt.life.begin('start');
  else if (verb === 'loop') rt.life.loop();
  else if (verb === 'end') await rt.life.finish('end');
  else await rt.runTriggered();
  await rt.settled(own);
}

/** The engine's counts less its dispatches that ran no route (see NativeSkips). */
export function nativeCounts(n: { ticks: number; executions: number; missed: number }, rt: TimerRuntime):
  { ticks: number; idle: number; executions: number; missed: number } {
  const s = rt.skips;
  return { ticks: n.ticks - s.idle, idle: s.idle, executions: n.executions - s.paused - s.busy - s.idle - s.cluster, missed: n.missed + s.busy };
}
