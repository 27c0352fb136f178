import { RTimerConfigError } from '../errors.js';

/**
 * The Kamailio version whose rules a kamailio.cfg is read by: its predefined names and the
 * preprocessor directives it has. Two rule sets are known: 5.6 (measured against Debian's 5.6.3,
 * used for every version before 5.7) and the current source (5.7 and later).
 */
export interface KamailioRules {
  /** 'X.Y.Z' */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** `#!undef`, `#!undefine`, `#!tryundef(ine)` remove a define; before 5.7 they are comments. */
  undefine: boolean;
  /** `KAMAILIO_VERSION` and `OS_NAME` are predefined. */
  versionDefines: boolean;
  /** `#!ifexp` and `#!defexp` exist; before 5.7 they are comments. */
  expressions: boolean;
  /** The ptimer module exists (5.6 has none). */
  ptimer: boolean;
}

export const DEFAULT_KAMAILIO_VERSION = '6.0.0';

/**
 * The release an `X.Y` without its patch level stands for, where node-rtimer was checked against a
 * real binary: `5.6` is Debian's 5.6.3 (test/kamailio/), so its KAMAILIO_5_6_3 block reads as there.
 */
const CHECKED_RELEASE: Readonly<Record<string, number>> = { '5.6': 3 };

/** Reads `'X.Y'` or `'X.Y.Z'` (X.Y is the checked release above, else X.Y.0); anything else is an RTimerConfigError naming it. */
export function kamailioRules(version: string = DEFAULT_KAMAILIO_VERSION): KamailioRules {
  const m = typeof version === 'string' ? /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?$/.exec(version) : null;
  if (!m) {
    throw new RTimerConfigError('ERR_RTIMER_KAMAILIO_VERSION',
      `Kamailio version ${JSON.stringify(String(version))} is not X.Y or X.Y.Z (such as 5.6 or 6.0.1)`, { text: String(version) });
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const patch = m[3] !== undefined ? Number(m[3]) : CHECKED_RELEASE[`${major}.${minor}`] ?? 0;
  const modern = major > 5 || (major === 5 && minor >= 7);
  return {
    version: `${major}.${minor}.${patch}`, major, minor, patch,
    undefine: modern, versionDefines: modern, expressions: modern, ptimer: modern,
  };
}
