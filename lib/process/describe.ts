import { describeThrown as describe } from '../errors.js';

/**
 * A thrown value as message and stack that can cross the IPC channel: the message as the parent
 * would print it, the stack only when it is a plain string (a getter or odd value must not break
 * the report of the error itself).
 */
export function describeThrown(value: unknown): { message: string; stack?: string } {
  let stack: string | undefined;
  try {
    const s = value instanceof Error ? value.stack : undefined;
    if (typeof s === 'string') stack = s;
  } catch { /* a throwing stack getter: no stack */ }
  return { message: describe(value), stack };
}
