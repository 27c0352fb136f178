import type { TimerConfig } from '../config/types.js';
import type { Cluster } from '../cluster/cluster.js';
import type { TimerRuntime } from './runtime.js';
import type { SharedScheduler } from './shared-scheduler.js';
import type { DedicatedTimer, InlineRunner, VirtualHost } from './virtual-host.js';

/**
 * What one RTimer runs, shared by its start, stop, stats, list and control: the RTimer holds it,
 * the layers below fill and read it (start() fills it while stop() may already read it).
 */
export interface TimerParts {
  /** Runs the mode-0 timers. */
  readonly scheduler: SharedScheduler;
  /** Set when the timers run on a VirtualClock. */
  readonly virtual: VirtualHost | undefined;
  /** The timers as resolved at start(): what runs, whatever happens to `config` later. */
  resolved: TimerConfig[] | null;
  /** The timers of this process (mode 0 and inline). */
  runtimes: TimerRuntime[];
  /** The engine of each inline timer. */
  readonly runners: Map<TimerRuntime, InlineRunner>;
  /** The mode=N timers. */
  processes: DedicatedTimer[];
  /** Inline timers: roughly when their engine was armed (for list()'s next deadline). */
  readonly anchors: Map<TimerRuntime, bigint>;
  cluster: Cluster | null;
}
