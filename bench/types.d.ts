declare module 'nanotimer' {
  export default class NanoTimer {
    setInterval(task: () => void, args: unknown, interval: string, callback?: () => void): void;
    clearInterval(): void;
  }
}
