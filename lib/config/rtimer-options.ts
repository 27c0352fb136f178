import { RTimerConfig } from './config.js';
import { RTimerConfigError, RTimerError } from '../errors.js';
import type { RouteState, RoutesSource } from '../route/routes.js';
import { validateSupervisorOptions, type SupervisorOptions } from '../process/supervisor.js';
import type { SchedulerClock } from '../schedule/shared-scheduler.js';
import type { VirtualTime } from '../schedule/virtual-host.js';
import { clusterSettings, type ClusterOptions, type ClusterSettings } from '../cluster/options.js';

export interface RTimerOptions<S extends object = RouteState> {
  /**
   * Route functions by name, or a module whose exports are the routes: a URL (`new URL('./routes.mjs',
   * import.meta.url)` for a file next to the caller's) or a path, taken from the working directory.
   */
  routes?: RoutesSource<S>;
  /** Seconds for timers declared without an interval (Kamailio's default_interval, 120). */
  defaultInterval?: number;
  /** A configuration to start from, e.g. the result of loadKamailioConfig(). */
  config?: RTimerConfig;
  /**
   * How long stop() waits for a route in flight, in every mode, in ms (default 2000). Past it an
   * in-process execution is abandoned (counted in `stats().abandoned`, reported as an 'error'
   * ERR_RTIMER_STOP_GRACE) and a mode=N worker is killed. `supervisor.stopGraceMs`, if also given,
   * wins for the workers.
   */
  stopGraceMs?: number;
  /** Supervision of dedicated timer processes (mode=N): restarts, grace period, timeouts. */
  supervisor?: SupervisorOptions;
  /**
   * A VirtualClock (node-rtimer/testing): every timer runs on virtual time, moved by the test. (A
   * SchedulerClock, internally, drives the mode-0 scheduler alone.)
   */
  clock?: VirtualTime | SchedulerClock;
  /**
   * Cluster mode on etcd: timers declared with `cluster: 'once'` run on one node, `'slices'` spread
   * their tasks over the live nodes (see README, Cluster). Needs the etcd3 package.
   */
  cluster?: ClusterOptions;
}

const DEFAULT_STOP_GRACE_MS = 2000;

const OPTION_KEYS = ['routes', 'defaultInterval', 'config', 'stopGraceMs', 'supervisor', 'cluster', 'clock'];

/** One rule for `stopGraceMs` and `supervisor.stopGraceMs`: whole ms, as Node timers count them. */
function graceOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      `${name} must be a whole number of ms from 0 to 2147483647, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

function checkShape(options: unknown): RTimerOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      `RTimer options must be an object (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new RTimerError('ERR_RTIMER_OPTION_INVALID', `unknown RTimer option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(', ')})`);
    }
  }
  const { config } = options as RTimerOptions;
  if (config !== undefined && !(config instanceof RTimerConfig)) {
    throw new RTimerError('ERR_RTIMER_OPTION_INVALID',
      'config must be an RTimerConfig (new RTimerConfig(), or the result of loadKamailioConfig())');
  }
  return options as RTimerOptions;
}

/**
 * The RTimer constructor's checks, in the order it always made them, and what they settle: the
 * supervisor options as a snapshot (changing the caller's object later does not change how workers
 * are supervised) and the one stop grace period.
 */
export function rtimerOptions(options: unknown): { options: RTimerOptions; supervisor: SupervisorOptions; stopGraceMs: number } {
  const checked = checkShape(options);
  validateSupervisorOptions(checked.supervisor);
  const supervisor: SupervisorOptions = { ...checked.supervisor };
  const workerGrace = graceOption(supervisor.stopGraceMs, 'supervisor.stopGraceMs');
  const stopGraceMs = graceOption(checked.stopGraceMs, 'stopGraceMs') ?? workerGrace ?? DEFAULT_STOP_GRACE_MS;
  if (workerGrace === undefined && checked.stopGraceMs !== undefined) supervisor.stopGraceMs = stopGraceMs;
  return { options: checked, supervisor, stopGraceMs };
}

/** The cluster option checked: none on a VirtualClock (`virtual`). */
export function clusterOption(options: Pick<RTimerOptions, 'cluster'>, virtual: boolean): ClusterSettings | undefined {
  if (options.cluster === undefined) return undefined;
  if (virtual) {
    // Leases, elections and the wall-clock grid live in etcd, on real time: a simulation would pretend.
    throw new RTimerConfigError('ERR_RTIMER_VIRTUAL_CLUSTER',
      'the cluster option needs etcd and real time: a VirtualClock cannot run cluster timers (leave cluster out of the test\'s RTimer options)',
      { text: 'cluster' });
  }
  return clusterSettings(options.cluster);
}
