// node-rtimer/testing: run RTimers on virtual time in tests.
export { VirtualClock, type VirtualClockOptions, type RunUntilOptions, type VirtualDuration } from './virtual-clock.js';
export type { SpendDuration } from '../route/spend.js';
