import { inspect } from 'node:util';

/**
 * A thrown value as text that can cross the IPC channel. Routes throw anything: objects without a
 * prototype, symbols as messages, getters and toString methods that throw; none of that may break
 * the report of the error itself.
 */
export function describeThrown(value: unknown): { message: string; stack?: string } {
  try {
    if (value instanceof Error) {
      const message = typeof value.message === 'string' ? value.message : safeInspect(value.message);
      const stack = typeof value.stack === 'string' ? value.stack : undefined;
      return { message, stack };
    }
    if (typeof value === 'string') return { message: value };
  } catch { /* a getter threw: fall back to inspect */ }
  return { message: safeInspect(value) };
}

function safeInspect(value: unknown): string {
  try {
    return inspect(value, { depth: 2, breakLength: Infinity });
  } catch {
    return `<${typeof value} that cannot be described>`;
  }
}
