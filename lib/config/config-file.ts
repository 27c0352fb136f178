import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { RTimerConfigError } from '../errors.js';
import { DEFAULT_CONFIG_LIMITS } from './limits.js';

/** The largest config file (main or included) read by default: far past any real kamailio.cfg, short of a runaway one. */
export const MAX_CONFIG_BYTES = DEFAULT_CONFIG_LIMITS.fileBytes;

function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'a special file';
}

/**
 * The bytes of a config file. Its errors give the reason alone (the caller names the file, and the
 * line). Only a regular file is read: a FIFO would block for ever and /dev/zero never ends, so those
 * are refused (ERR_RTIMER_CONFIG_NOT_FILE) before any read. At most `maxBytes` + 8 bytes are read,
 * whatever stat() says: /proc files say 0 and some never end (/proc/self/pagemap), and a file may
 * grow meanwhile; one byte more than `maxBytes` is ERR_RTIMER_CONFIG_TOO_LARGE. A file that cannot be
 * stat'ed, opened or read throws the system error, as readFileSync does.
 */
export function readConfigFile(path: string, maxBytes: number = MAX_CONFIG_BYTES): Buffer {
  const tooLarge = () => new RTimerConfigError('ERR_RTIMER_CONFIG_TOO_LARGE',
    `larger than ${maxBytes} bytes, too large for a config file`, { text: path });
  const notFile = (st: Stats) => new RTimerConfigError('ERR_RTIMER_CONFIG_NOT_FILE', `not a regular file (${kindOf(st)})`, { text: path });
  const st = statSync(path);
  if (!st.isFile()) throw notFile(st);
  if (st.size > maxBytes) throw tooLarge();
  // O_NONBLOCK: should a FIFO take the file's place after the stat, the open does not wait for a writer.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw notFile(opened);
    // Up to maxBytes + 1, rounded up to 8: /proc/self/pagemap refuses reads of other sizes (EINVAL).
    const cap = Math.ceil((Math.min(maxBytes, 2 ** 31 - 16) + 1) / 8) * 8;
    let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(opened.size + 8, 1024 * 1024)));
    let length = 0;
    while (length <= maxBytes) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw tooLarge();
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
