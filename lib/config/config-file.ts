import { readFileSync, statSync, type Stats } from 'node:fs';
import { RTimerConfigError } from '../errors.js';

/** The largest config file (main or included) read: far past any real kamailio.cfg, short of a runaway one. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'a special file';
}

/**
 * The bytes of a config file. Its errors give the reason alone (the caller names the file, and the line). Only a regular file of at most MAX_CONFIG_BYTES is read: a FIFO would
 * block for ever and /dev/zero never ends, so those are refused (ERR_RTIMER_CONFIG_NOT_FILE,
 * ERR_RTIMER_CONFIG_TOO_LARGE) before any read. A file that cannot be stat'ed or read throws the
 * system error, as readFileSync does.
 */
export function readConfigFile(path: string): Buffer {
  const st = statSync(path);
  if (!st.isFile()) {
    throw new RTimerConfigError('ERR_RTIMER_CONFIG_NOT_FILE', `not a regular file (${kindOf(st)})`, { text: path });
  }
  const tooLarge = () => new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE',
    `larger than ${MAX_CONFIG_BYTES} bytes, too large for a config file`, { text: path });
  if (st.size > MAX_CONFIG_BYTES) throw tooLarge();
  const bytes = readFileSync(path);
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(); // it grew since the stat
  return bytes;
}
