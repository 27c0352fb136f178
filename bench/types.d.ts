declare module 'nanotimer' {
  export default class NanoTimer {
    /** process.hrtime() when the interval started: the anchor of its schedule, null when cleared. */
    intervalT1: [number, number] | null;
    /** The number of the next call: it is due at intervalT1 + intervalTime · intervalCount. */
    intervalCount: number;
    /** The interval in ns (a number, or the numeric string given with an 'n' suffix). */
    intervalTime: number;
    setInterval(task: () => void, args: unknown, interval: string, callback?: () => void): void;
    clearInterval(): void;
  }
}
