import type { RTimerError } from './errors.js';
import type { WorkerEvent, WorkerExitEvent } from './process/supervisor.js';

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

/** 'worker-message': a worker's `process.send()` of something that is not node-rtimer's protocol. */
export interface WorkerMessageEvent extends WorkerEvent {
  message: unknown;
}

/** 'worker-unresponsive': a worker sent no heartbeat for `silentMs`. */
export interface WorkerUnresponsiveEvent extends WorkerEvent {
  silentMs: number;
}

/** RTimer's events and their listener arguments. */
export interface RTimerEvents {
  /** Route failures (RTimerRouteError), stop grace overruns (RTimerStopGraceError), worker failures (RTimerError). */
  error: [error: Error];
  'worker-exit': [event: WorkerExitEvent];
  'worker-restart': [event: WorkerRestartEvent];
  'timer-failed': [event: TimerFailedEvent];
  'worker-message': [event: WorkerMessageEvent];
  'worker-unresponsive': [event: WorkerUnresponsiveEvent];
}
