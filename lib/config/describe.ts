import { inspect } from 'node:util';

/**
 * A short, safe rendering of any value for an error message: BigInts, circular objects,
 * null-prototype objects, proxies and throwing getters or `toString`s all come out as text.
 */
export function describeValue(value: unknown): string {
  try {
    return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60, customInspect: false, getters: false });
  } catch {
    try { return Object.prototype.toString.call(value); } catch { return `<${typeof value}>`; }
  }
}
