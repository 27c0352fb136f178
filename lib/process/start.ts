import type { TimerConfig } from '../config/types.js';
import { RTimerError } from '../errors.js';
import type { RTimerErrorEvent } from '../events.js';
import { binding } from '../native/binding.js';
import type { LoopStateChange } from '../schedule/lifecycle.js';
import { moduleUrl, relativeHint, type RoutesSource } from '../route/routes.js';
import type { TimerParts } from '../schedule/timer-parts.js';
import { firstFailure } from './settle.js';
import { ProcessTimer, type SupervisorOptions } from './supervisor.js';

/** What starting the mode=N timers needs of their RTimer. */
export interface ProcessHost {
  readonly routes: RoutesSource | undefined;
  readonly supervisor: SupervisorOptions;
  readonly stopGraceMs: number;
  /** Whether the RTimer is ref()'d now. */
  refed(): boolean;
  /** Emits an RTimer event; a throwing listener surfaces later, never here. */
  emit(event: string, payload: unknown): void;
  /** Never throws. */
  reportError(err: RTimerErrorEvent): void;
}

/**
 * Forks (or, on a VirtualClock, simulates) the mode=N timers into `parts.processes`: every process
 * loads its routes first, then all arm on one anchor. On a failure every one is stopped and the
 * first failure rejects, a relative routes path hinted.
 */
export async function startProcesses(parts: TimerParts, timers: TimerConfig[], host: ProcessHost): Promise<void> {
  const url = moduleUrl(host.routes as string | URL);
  const emit = (event: string, payload: unknown) => {
    if (event === 'error') host.reportError(payload as RTimerError);
    else if (event === 'timer-state') {
      // The shape of an in-process timer's: timer, worker, then the change.
      const { timer, worker, ...c } = payload as LoopStateChange & { timer: string; worker?: number };
      host.emit(event, { timer, ...(worker === undefined ? {} : { worker }), ...c });
    } else host.emit(event, payload);
  };
  // Each its own copy: what a restarted worker is sent cannot be changed from outside.
  const v = parts.virtual;
  parts.processes = timers.map((t) => (v ? v.dedicated(structuredClone(t), url, host.supervisor.stopGraceMs ?? host.stopGraceMs, emit)
    : new ProcessTimer(structuredClone(t), url, host.supervisor, emit,
      t.cluster ? parts.cluster!.dedicated(t, binding.now(), binding.realtimeOffset()) : undefined)));
  if (!host.refed()) for (const p of parts.processes) p.unref();
  const settle = async (steps: Promise<void>[]) => {
    let failure = await firstFailure(steps);
    if (failure === undefined) return;
    // The worker imports a URL; the path the user gave, and so the hint, is known here.
    const hint = (failure as RTimerError).code === 'ERR_RTIMER_ROUTES_LOAD' ? relativeHint(host.routes) : '';
    if (hint) failure = new RTimerError('ERR_RTIMER_ROUTES_LOAD', `${(failure as Error).message} (${hint})`, { cause: failure });
    await Promise.all(parts.processes.map((p) => p.stop()));
    parts.processes = [];
    throw failure;
  };
  // Every process loads first, then all arm on one anchor, so the timers share a phase.
  await settle(parts.processes.map((p) => p.load()));
  const anchor = v ? v.now() : binding.now();
  await settle(parts.processes.map((p) => p.arm(anchor)));
}
