import type { Histogram } from './histogram.js';
import type { NativeDetail } from '../schedule/native-runner.js';
import type { TimerCounters } from '../schedule/runtime.js';
import type { WorkerStats } from '../process/supervisor.js';
import type { TimerState } from '../ctl/types.js';
import type { ClusterTimerStats } from '../cluster/once-gate.js';

/** What rt.stats() reports for one timer (a type of its own, so the layers that read it need not import RTimer). */
export interface TimerStats extends TimerCounters {
  name: string;
  mode: number | 'inline';
  intervalUs: number;
  /** Route start minus its ideal time `start + k*interval`, ns. */
  lateness: Histogram;
  /** Time from the first route's start to the last route's end, ns. */
  duration: Histogram;
  /** In-process native timers (mode 'inline'): what the engine measured besides lateness. */
  native?: NativeDetail;
  /** Dedicated timer processes (mode=N): each worker's figures; the timer's are their sum. */
  workers?: WorkerStats[];
  /** A mode=N timer whose worker kept dying past the restart limit. */
  failed?: boolean;
  /** In-process timers: executions still running when stop()'s grace period ran out. */
  abandoned?: number;
  /** running, paused, ended (start/end routes, or a route returned -1), failed or stopped. */
  state: TimerState;
  /** Cluster timers: this node's role and the cluster's counters (executions + missed + paused + standby + fenced = ticks). */
  cluster?: ClusterTimerStats;
}
