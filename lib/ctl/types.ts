import type { IntervalUnit } from '../config/interval.js';

export type TimerState = 'running' | 'paused' | 'ended' | 'failed' | 'stopped';

/** ptimer's jumps (`start`, `loop`, `end`) and croner's `trigger()` (`tick`: run the tick routes once now). */
export type TriggerVerb = 'start' | 'loop' | 'end' | 'tick';
export const TRIGGER_VERBS: readonly TriggerVerb[] = ['start', 'loop', 'end', 'tick'];

export type WorkerInfoState = 'starting' | 'running' | 'paused' | 'restarting' | 'stopped' | 'failed';

/** One dedicated process of a mode=N timer. */
export interface WorkerInfo {
  worker: number;
  /** null while no process runs (restarting, stopped). */
  pid: number | null;
  state: WorkerInfoState;
  restarts: number;
}

export interface TimerInfoCounters {
  /** Deadlines that passed while the timer ran: executions + missed + paused. */
  ticks: number;
  /** Deadlines that passed while its loop was ended: ticks + idle = every deadline of its schedule. */
  idle: number;
  executions: number;
  missed: number;
  /** Ticks that passed while the timer was paused. */
  paused: number;
  errors: number;
  /** Executions asked for with trigger(name, 'tick'), outside the schedule and outside `ticks`. */
  triggered: number;
}

/** What `rt.list()` reports for one timer; plain JSON (no undefined, no class instances). */
export interface TimerInfo {
  name: string;
  state: TimerState;
  mode: number | 'inline';
  /** The interval as written, in `unit`. */
  interval: number;
  unit: IntervalUnit;
  intervalUs: number;
  /** Empty unless mode=N. */
  workers: WorkerInfo[];
  /** The next deadline as milliseconds since the epoch (Date.now()'s clock); null when none is due. */
  nextDeadline: number | null;
  counters: TimerInfoCounters;
  /** Cluster timers: this node's role, and for `once` the leader as last seen and the term while leading. */
  cluster?: { mode: 'once' | 'slices'; node: string; role: 'leader' | 'member'; leader: string | null; term: number; fenced: number };
}

/**
 * What the control socket drives. RTimer implements it; a method given an unknown timer name or
 * verb throws an RTimerError whose `code` the client receives in the JSON-RPC error's data.
 */
export interface Controllable {
  list(): TimerInfo[];
  /** JSON-safe per-timer statistics (objects with a `name`; toJSON() is honoured). */
  stats(): unknown[];
  pause(name: string): void | Promise<void>;
  resume(name: string): void | Promise<void>;
  trigger(name: string, verb: TriggerVerb): void | Promise<void>;
}
