import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RTimerError } from '../errors.js';
import { CTL_ERROR, createDispatcher } from './methods.js';
import { preparePath } from './socket-path.js';
import type { Controllable } from './types.js';

export interface ListenOptions {
  /** Where the Unix-domain socket is created; its directory must exist. */
  path: string;
  /** The longest request line accepted, newline excluded. Default 64 KiB. */
  maxRequestBytes?: number;
}

export interface CtlServer {
  /** The absolute path of the socket. */
  readonly path: string;
  /** Stops accepting, drops open connections and removes the socket file. Idempotent. */
  close(): Promise<void>;
  /** Whether the server keeps the event loop alive (default: it does). */
  ref(): this;
  unref(): this;
}

const NEWLINE = 0x0a;

function tooLargeLine(max: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id: null,
    error: { code: CTL_ERROR.INVALID_REQUEST, message: `request larger than ${max} bytes; closing the connection`,
      data: { code: 'ERR_RTIMER_CTL_REQUEST_TOO_LARGE' } } }) + '\n';
}

/**
 * One connection: newline-delimited JSON-RPC texts in, one response line per answered request out
 * (in completion order; ids pair them). A client that leaves early only loses its own answers.
 */
function serveConnection(socket: Socket, dispatch: (text: string) => Promise<string | null>, max: number): void {
  let chunks: Buffer[] = [];
  let size = 0;
  let pending = 0;
  let inputEnded = false;
  let discarding = false;
  let draining = false;
  // EPIPE / ECONNRESET from a client that disconnected mid-call: nothing to do but drop it.
  socket.on('error', () => socket.destroy());

  const write = (line: string) => {
    if (socket.destroyed || !socket.writable) return;
    // A client that sends but never reads: stop reading its requests until it drains our answers.
    if (!socket.write(line) && !draining) {
      draining = true;
      socket.pause();
      socket.once('drain', () => { draining = false; if (!discarding) socket.resume(); });
    }
  };
  const finishIfDone = () => {
    if (inputEnded && pending === 0 && !socket.destroyed) socket.end();
  };
  const handle = (buf: Buffer) => {
    const text = buf.toString('utf8');
    if (text.trim() === '') return;
    pending++;
    dispatch(text).then((res) => { if (res !== null) write(res + '\n'); })
      .finally(() => { pending--; finishIfDone(); });
  };
  const reject = () => {
    discarding = true;
    chunks = [];
    write(tooLargeLine(max));
    socket.end();
    // Unread input must not keep the connection open: drop it once our answer is flushed, or after
    // a second if the client does not read it either.
    const drop = setTimeout(() => socket.destroy(), 1000).unref();
    socket.once('finish', () => { clearTimeout(drop); socket.destroy(); });
  };

  socket.on('data', (data: Buffer) => {
    if (discarding) return;
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      const part = data.subarray(start, nl);
      if (size + part.length > max) return reject();
      handle(chunks.length ? Buffer.concat([...chunks, part]) : part);
      chunks = [];
      size = 0;
      start = nl + 1;
    }
    const rest = data.subarray(start);
    if (size + rest.length > max) return reject();
    if (rest.length) { chunks.push(rest); size += rest.length; }
  });
  // A last request without a newline, then end of input (`printf '…' | socat - UNIX-CONNECT:…`):
  // answer it, then close our side.
  socket.on('end', () => {
    inputEnded = true;
    if (!discarding && size > 0) handle(Buffer.concat(chunks));
    chunks = [];
    finishIfDone();
  });
}

/** Binds with umask 0177 so the socket is born 0600; see `listen` for why. */
function bindOwnerOnly(server: Server, path: string): Promise<void> {
  return new Promise((done, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      fail(new RTimerError(err.code === 'EADDRINUSE' ? 'ERR_RTIMER_CTL_IN_USE' : 'ERR_RTIMER_CTL_LISTEN',
        `cannot listen on control socket "${path}": ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    let old: number | undefined;
    try {
      old = process.umask(0o177);
    } catch {
      // Worker threads cannot change the umask: the chmod below then narrows the window to one tick.
    }
    try {
      server.listen(path);
    } finally {
      if (old !== undefined) process.umask(old);
    }
    server.once('listening', () => {
      server.off('error', onError);
      try {
        chmodSync(path, 0o600);
      } catch (err) {
        server.close();
        fail(new RTimerError('ERR_RTIMER_CTL_LISTEN', `cannot chmod control socket "${path}": ${(err as Error).message}`, { cause: err }));
        return;
      }
      done();
    });
  });
}

/**
 * Serves JSON-RPC 2.0 for `target` on a Unix-domain socket at `options.path`, one JSON text per line.
 *
 * Permissions: the umask is set to 0177 around `server.listen()`, which binds synchronously, so the
 * socket file never exists with wider rights (a chmod after listen alone leaves a window in which
 * another user could connect and be accepted later). The umask is process-wide, so a file some
 * other thread creates in that instant gets a stricter mode, never a looser one. The socket is also
 * chmod'ed 0600 once listening, for worker threads (which cannot set the umask) and cluster workers.
 */
export async function listen(target: Controllable, options: ListenOptions): Promise<CtlServer> {
  const max = options.maxRequestBytes ?? 64 * 1024;
  if (!Number.isInteger(max) || max < 1) {
    throw new RTimerError('ERR_RTIMER_CTL_OPTION', `maxRequestBytes must be a positive integer, got ${String(options.maxRequestBytes)}`);
  }
  const path = await preparePath(options.path);
  const dispatch = createDispatcher(target);
  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, dispatch, max);
  });
  await bindOwnerOnly(server, path);
  const { ino, dev } = lstatSync(path);
  // After listening, accept errors (EMFILE and the like) are the kernel's to retry, not ours to crash on.
  server.on('error', () => {});

  let closing: Promise<void> | null = null;
  const handle: CtlServer = {
    path,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const s of connections) s.destroy();
      }).then(() => {
        // libuv unlinks the path it bound; make sure, without removing a file someone put there since.
        try {
          const st = lstatSync(path);
          if (st.ino === ino && st.dev === dev) unlinkSync(path);
        } catch { /* already gone */ }
      });
      return closing;
    },
    ref() { server.ref(); return handle; },
    unref() { server.unref(); return handle; },
  };
  return handle;
}
