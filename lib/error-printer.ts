import { describeThrown } from './errors.js';

/**
 * Prints route errors nobody listens for to stderr, at most one line a second, so a route that
 * throws on every 1 ms tick cannot flood the terminal; the suppressed ones are counted.
 */
export class ErrorPrinter {
  #last = -Infinity;
  #suppressed = 0;

  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l),
    private readonly now: () => number = () => performance.now()) {}

  /** Never throws: whatever it is given is described safely, and a failing write is dropped. */
  print(err: unknown): void {
    const t = this.now();
    if (t - this.#last < 1000) { this.#suppressed++; return; }
    const more = this.#suppressed ? ` (${this.#suppressed} more route errors suppressed)` : '';
    this.#suppressed = 0;
    this.#last = t;
    try {
      this.write(`rtimer: ${describeThrown(err)}${more}\n`);
    } catch { /* stderr gone: nothing left to tell */ }
  }
}
