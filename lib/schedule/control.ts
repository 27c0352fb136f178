import type { TimerConfig } from '../config/types.js';
import { TRIGGER_VERBS, type TriggerVerb } from '../ctl/types.js';
import { didYouMean, RTimerError } from '../errors.js';
import type { ControlVerb } from '../process/protocol.js';
import { callingExecution, type Execution, type TimerRuntime } from './runtime.js';
import type { TimerParts } from './timer-parts.js';

/** A timer by name, compared case-insensitively as the configuration does; unknown names say the nearest. */
export function findTimer(timers: readonly TimerConfig[], name: string): TimerConfig {
  const t = typeof name === 'string' ? timers.find((x) => x.name.toLowerCase() === name.toLowerCase()) : undefined;
  if (!t) {
    throw new RTimerError('ERR_RTIMER_TIMER_UNKNOWN',
      `unknown timer ${typeof name === 'string' ? `"${name}"` : typeof name}${didYouMean(name, timers.map((x) => x.name))}`);
  }
  return t;
}

/** A trigger verb in any case, as names are; an unknown one throws, naming the nearest. */
export function triggerVerb(verb: unknown): TriggerVerb {
  const v = (typeof verb === 'string' ? verb.toLowerCase() : verb) as TriggerVerb;
  if (!TRIGGER_VERBS.includes(v)) {
    throw new RTimerError('ERR_RTIMER_VERB_UNKNOWN',
      `unknown trigger verb ${typeof verb === 'string' ? `"${verb}"` : typeof verb}${didYouMean(verb, TRIGGER_VERBS)} (expected ${TRIGGER_VERBS.join(', ')})`);
  }
  return v;
}

/**
 * A control verb on one timer of an RTimer in `state`: its loop in this process, or every worker of
 * a mode=N timer. Called from a route, the calling execution is read before anything is awaited.
 */
export async function controlTimer(parts: TimerParts, timer: TimerConfig, verb: ControlVerb, state: string): Promise<void> {
  const { name } = timer;
  if (state !== 'running') {
    throw new RTimerError('ERR_RTIMER_NOT_RUNNING', `timer "${name}" cannot ${verb}: the RTimer is ${state}`);
  }
  const rt = parts.runtimes.find((r) => r.name === name);
  if (rt) { await applyControl(rt, verb, callingExecution()); return; }
  const p = parts.processes.find((x) => x.config.name === name)!;
  if (p.failed) throw new RTimerError('ERR_RTIMER_NOT_RUNNING', `timer "${name}" cannot ${verb}: it failed`);
  await p.control(verb);
}

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
