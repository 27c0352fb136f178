export { RTimer, type RTimerOptions, type TimerStats } from './rtimer.js';
export { RTimerConfig } from './config/config.js';
export { loadKamailioConfig, parseKamailioConfig, type KamailioConfigOptions, type ParseKamailioOptions } from './config/kamailio-cfg.js';
export {
  preprocess, preprocessFile, MAX_INCLUDE_DEPTH,
  type PreprocessOptions, type PreprocessResult, type PreprocessedLine, type PreprocessWarning,
} from './config/preprocess.js';
export { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from './config/limits.js';
export { toKamailioString, toKamailioExecStrings, toPtimerStrings, type PtimerStrings } from './config/kamailio-string.js';
export { slicesTasks, MAX_TASKS } from './config/tasks.js';
export { parseInterval, type Interval, type IntervalUnit } from './config/interval.js';
export type {
  TimerSpec, ExecSpec, TimerConfig, MissedTickPolicy, PrecisionOptions, RealtimeOptions, RouteHook, PtimerType,
} from './config/types.js';
export { RTimerError, RTimerConfigError, RTimerRouteError, RTimerStopGraceError } from './errors.js';
export type {
  RTimerEvents, RTimerErrorEvent, TimerFailedEvent, TimerStateEvent, WorkerRestartEvent, WorkerMessageEvent, WorkerUnresponsiveEvent,
  ClusterAcquiredEvent, ClusterLostEvent, ClusterMembersEvent,
} from './events.js';
export type { LoopState, StateCause } from './schedule/lifecycle.js';
export { FAKED_SIP_MSG, type FakedMessage } from './route/fmsg.js';
export type { Route, Routes, RouteContext, RouteState, RoutesSource, RoutesModule, WorkerHookInfo } from './route/routes.js';
export { Histogram, type HistogramJSON } from './stats/histogram.js';
export { capabilities, now } from './native/info.js';
export type {
  SupervisorOptions, WorkerStats, WorkerState, WorkerEvent, WorkerExitEvent, WorkerExitReason,
} from './process/supervisor.js';
export type { NativeDetail } from './schedule/native-runner.js';
export type { TimerCounters } from './schedule/runtime.js';
export { rtimerCollector, type RTimerCollector, type RTimerCollectorOptions } from './metrics/collector.js';
export { serveMetrics, type MetricsServer, type ServeMetricsOptions } from './metrics/server.js';
export { parseMetricsAddress, type MetricsAddress } from './metrics/address.js';
export type { MetricsRegistry } from './metrics/prom-client.js';
export type { ClusterOptions } from './cluster/options.js';
export type { ClusterTimerStats } from './cluster/once-gate.js';
export { MAX_CLUSTER_TASKS } from './cluster/assign.js';
