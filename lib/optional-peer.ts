import { RTimerError } from './errors.js';

export type Require = (id: string) => unknown;

/**
 * Requires an optional peer dependency on first use. A module that is not installed is `missingCode`
 * with `installHint`; one that is installed but fails to load is `failedCode` with its own message.
 */
export function requireOptionalPeer(req: Require, id: string, missingCode: string, failedCode: string, installHint: string): unknown {
  try {
    return req(id);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e?.code === 'MODULE_NOT_FOUND' && new RegExp(`['"]${id}['"]`).test(String(e.message).split('\n')[0]);
    throw new RTimerError(missing ? missingCode : failedCode, missing ? installHint : `${id} could not be loaded: ${e?.message ?? String(err)}`,
      { cause: err });
  }
}
