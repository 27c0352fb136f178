import { lstatSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { RTimerError } from '../errors.js';

// sun_path holds 108 bytes on Linux, 104 on the BSDs and macOS, NUL included. libuv truncates a
// longer path silently, which would bind (and later unlink) a different file than the one asked for.
const MAX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RTimerError('ERR_RTIMER_CTL_PATH', `control socket "${path}": ${(err as Error).message}`, { cause: err });
  }
}

/** Whether something accepts connections on the socket at `path`: ECONNREFUSED means nobody does. */
function probe(path: string): Promise<'live' | 'stale'> {
  return new Promise((done, fail) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); done('live'); });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.destroy();
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done('stale');
      else fail(new RTimerError('ERR_RTIMER_CTL_PATH', `control socket "${path}": cannot probe it: ${err.message}`, { cause: err }));
    });
  });
}

/**
 * Makes `path` free for a new socket: its directory must exist; nothing is there, or a socket nobody
 * listens on (removed). A live socket or any other kind of file (a symlink included) is an error and
 * stays as it is. Returns the absolute path.
 */
export async function preparePath(path: string): Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw new RTimerError('ERR_RTIMER_CTL_PATH', `control socket path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  const abs = resolve(path);
  if (Buffer.byteLength(abs) > MAX_PATH_BYTES) {
    throw new RTimerError('ERR_RTIMER_CTL_PATH_TOO_LONG',
      `control socket path "${abs}" is ${Buffer.byteLength(abs)} bytes; a Unix socket path holds at most ${MAX_PATH_BYTES}`);
  }
  const dir = dirname(abs);
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
  } catch (err) {
    throw new RTimerError('ERR_RTIMER_CTL_DIR_MISSING', `directory "${dir}" of control socket "${abs}" does not exist (${(err as NodeJS.ErrnoException).code})`,
      { cause: err });
  }
  if (!dirStat.isDirectory()) throw new RTimerError('ERR_RTIMER_CTL_DIR_MISSING', `"${dir}" (for control socket "${abs}") is not a directory`);

  const st = lstatOrNull(abs);
  if (!st) return abs;
  if (!st.isSocket()) {
    throw new RTimerError('ERR_RTIMER_CTL_PATH_EXISTS', `"${abs}" exists and is not a socket; not removing it (choose another --ctl path)`);
  }
  if (await probe(abs) === 'live') {
    throw new RTimerError('ERR_RTIMER_CTL_IN_USE', `another process listens on control socket "${abs}"`);
  }
  try {
    unlinkSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RTimerError('ERR_RTIMER_CTL_PATH', `cannot remove stale control socket "${abs}": ${(err as Error).message}`, { cause: err });
    }
  }
  return abs;
}
