export { listen, CTL_LIMITS, type CtlServer, type ListenOptions } from './server.js';
export { ctl, RTimerCtlError, type CtlCallOptions } from './client.js';
export { runCtl, CTL_USAGE } from './command.js';
export { formatList, formatStats } from './format.js';
export { CTL_ERROR, CTL_METHODS, type CtlMethod } from './methods.js';
export {
  TRIGGER_VERBS, type Controllable, type TimerInfo, type TimerInfoCounters, type TimerState, type TriggerVerb,
  type WorkerInfo, type WorkerInfoState,
} from './types.js';
