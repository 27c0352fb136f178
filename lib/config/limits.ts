import { RTimerConfigError } from '../errors.js';
import { describeValue } from './describe.js';

/**
 * What reading one kamailio.cfg (with its includes) may cost. Every bound ends the read with an
 * RTimerConfigError naming the file, the line and the text that crossed it; the README's Limits
 * table lists them. The defaults are far past any real configuration (the Debian one is 40 KB).
 */
export interface ConfigLimits {
  /** Bytes of one file, the main one or an included one (ERR_RTIMER_CONFIG_TOO_LARGE). */
  fileBytes: number;
  /** Bytes of every file read, the main one and each include each time it is read (ERR_RTIMER_CONFIG_TOO_LARGE). */
  readBytes: number;
  /** Files read, the main one and each include each time it is read (ERR_RTIMER_CONFIG_INCLUDE). */
  files: number;
  /** Characters the defines used on one line may add to it, values of values included (ERR_RTIMER_CONFIG_TOO_LARGE). */
  lineExpansion: number;
  /** The same, added up over the whole configuration (ERR_RTIMER_CONFIG_TOO_LARGE). */
  expansion: number;
  /** Defines whose values use defines, nested this deep (ERR_RTIMER_CONFIG_PREPROCESS). */
  defineDepth: number;
  /**
   * What the `#!subst` searches of the whole configuration may cost: characters searched times the
   * regexp's size in RE2 instructions, counting for each search the whole text after where it starts
   * (ERR_RTIMER_CONFIG_TOO_LARGE).
   */
  substSearch: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_CONFIG_LIMITS: Readonly<ConfigLimits> = Object.freeze({
  fileBytes: 16 * MiB,
  readBytes: 32 * MiB,
  files: 1000,
  lineExpansion: 1 * MiB,
  expansion: 16 * MiB,
  defineDepth: 100,
  substSearch: 64 * MiB,
});

/** The defaults with `given` laid over them; each given bound must be a positive integer (or Infinity). */
export function configLimits(given: Partial<ConfigLimits> | undefined): ConfigLimits {
  const limits = { ...DEFAULT_CONFIG_LIMITS };
  if (given === undefined || given === null) return limits;
  if (typeof given !== 'object') {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT', `limits must be an object, got ${describeValue(given)}`, { text: describeValue(given) });
  }
  for (const [key, value] of Object.entries(given)) {
    if (!(key in limits)) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT',
        `unknown limit "${key}" (expected ${Object.keys(limits).join(', ')})`, { text: key });
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity) || value < 1) {
      throw new RTimerConfigError('ERR_RTIMER_CONFIG_TEXT',
        `limits.${key} must be a positive integer or Infinity, got ${describeValue(value)}`, { text: describeValue(value) });
    }
    limits[key as keyof ConfigLimits] = value;
  }
  return limits;
}

/** A line of config text short enough for an error message. */
export function excerpt(text: string, max = 120): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max)}…`;
}
