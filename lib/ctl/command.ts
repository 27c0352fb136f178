import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/interval.js';
import { checkCtlTimeout, ctl } from './client.js';
import { formatList, formatStats } from './format.js';
import type { TimerInfo } from './types.js';

export const CTL_USAGE = `usage:
  rtimer ctl <socket> list|stats [timer] [--json]
  rtimer ctl <socket> pause|continue|resume|start|loop|end <timer> [--json]
  rtimer ctl <socket> help [method] | system.listMethods
  rtimer ctl <socket> trigger <timer> start|loop|end|tick [--json]
  options: --timeout <time> (default 5s, at most 24.8d); methods may be written with or without "rtimer."
`;

interface Out { write(text: string): unknown }

// What follows each method: [least, most] arguments and how to write them. Other methods go to the
// server as they are, which answers "method not found" for the ones it does not have.
const ARGS: Record<string, [number, number, string]> = {
  list: [0, 1, '[timer]'], stats: [0, 1, '[timer]'], pause: [1, 1, '<timer>'], continue: [1, 1, '<timer>'], resume: [1, 1, '<timer>'],
  help: [0, 1, '[method]'],
  start: [1, 1, '<timer>'], loop: [1, 1, '<timer>'], end: [1, 1, '<timer>'], trigger: [2, 2, '<timer> start|loop|end|tick'],
};

/** The body of `rtimer ctl`: 0 on success, 1 when the call failed, 2 on a usage error. */
export async function runCtl(argv: string[], io: { stdout: Out; stderr: Out }): Promise<number> {
  const usage = (why: string) => { io.stderr.write(`rtimer ctl: ${why}\nsee rtimer ctl --help\n`); return 2; };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true,
      options: { json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) { io.stdout.write(CTL_USAGE); return 0; }
  const [path, method, ...args] = positionals;
  if (!path || !method) return usage(!path ? 'missing <socket>' : 'missing <method>');
  // Methods are case-insensitive (PAUSE, Continue); the server gets them as it names them.
  const lower = method.toLowerCase();
  const short = lower.startsWith('rtimer.') ? lower.slice('rtimer.'.length) : lower.includes('.') ? method : lower;
  const expected = ARGS[short];
  if (expected && (args.length < expected[0] || args.length > expected[1])) {
    return usage(`${args.length < expected[0] ? 'missing' : 'too many'} arguments: ${short} ${expected[2]}`);
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    try {
      timeoutMs = parseDurationMs(values.timeout);
      if (!(timeoutMs > 0)) throw new Error(`"${values.timeout}" is not a positive duration`);
      checkCtlTimeout(timeoutMs);
    } catch (err) {
      return usage(`--timeout: ${(err as Error).message}`);
    }
  }

  let result: unknown;
  try {
    result = await ctl(path, short.includes('.') ? short : `rtimer.${short}`, args.length ? args : undefined, { timeoutMs });
  } catch (err) {
    io.stderr.write(`rtimer ctl: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (values.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (short === 'list' && Array.isArray(result)) io.stdout.write(formatList(result as TimerInfo[]));
  else if (short === 'stats' && Array.isArray(result)) io.stdout.write(formatStats(result));
  else if (result !== null && typeof result === 'object' && 'state' in result) io.stdout.write(formatList([result as TimerInfo]));
  else io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return 0;
}
