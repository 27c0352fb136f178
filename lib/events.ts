import type { RTimerError, RTimerRouteError, RTimerStopGraceError } from './errors.js';
import type { LoopState, StateCause } from './schedule/lifecycle.js';
import type {
  WorkerEvent, WorkerExitEvent, WorkerMessageEvent, WorkerUnresponsiveEvent,
} from './process/supervisor.js';

export type { WorkerMessageEvent, WorkerUnresponsiveEvent };

/** 'worker-restart': a restarted worker of a mode=N timer is armed again. */
export interface WorkerRestartEvent extends WorkerEvent {
  /** Restarts of this worker within the restart window, this one included. */
  restarts: number;
}

/** 'timer-failed': a mode=N timer's worker died `maxRestarts` times within the window; its other workers are stopped. */
export interface TimerFailedEvent {
  timer: string;
  /** ERR_RTIMER_WORKER_FAILED, also emitted as 'error'. */
  error: RTimerError;
}

/**
 * 'timer-state': a timer's loop (one worker's, for mode=N: `worker` is set) changed state — paused
 * or resumed, started again, ended by its end route, a -1, a failing start, or stop().
 */
export interface TimerStateEvent {
  timer: string;
  worker?: number;
  from: LoopState;
  to: LoopState;
  by: StateCause;
}

/** What an 'error' listener receives: one of these kinds, all RTimerErrors with a `code`. */
export type RTimerErrorEvent = RTimerRouteError | RTimerStopGraceError | RTimerError;

/** 'cluster-acquired': this node leads a `cluster: 'once'` timer from now on, in `term`. */
export interface ClusterAcquiredEvent { timer: string; node: string; term: number }

/** 'cluster-lost': this node no longer leads the timer (deposed, fenced, etcd unreachable, stopped). */
export interface ClusterLostEvent { timer: string; node: string; term: number; reason: string }

/** 'cluster-members': the live nodes under the prefix changed (also once at start). */
export interface ClusterMembersEvent { node: string; members: string[] }

/** RTimer's events and their listener arguments. */
export interface RTimerEvents {
  /**
   * Route failures (RTimerRouteError), stop grace overruns (RTimerStopGraceError), worker failures
   * (RTimerError ERR_RTIMER_WORKER_FAILED): narrow with `instanceof` or on `code`.
   */
  error: [error: RTimerErrorEvent];
  'worker-exit': [event: WorkerExitEvent];
  'worker-restart': [event: WorkerRestartEvent];
  'timer-failed': [event: TimerFailedEvent];
  'worker-message': [event: WorkerMessageEvent];
  'worker-unresponsive': [event: WorkerUnresponsiveEvent];
  'timer-state': [event: TimerStateEvent];
  'cluster-acquired': [event: ClusterAcquiredEvent];
  'cluster-lost': [event: ClusterLostEvent];
  'cluster-members': [event: ClusterMembersEvent];
}
