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
  /** The most requests one JSON-RPC batch may hold; a longer batch is refused whole (-32600). Default 16. */
  maxBatch?: number;
  /** Connections served at once; one more is answered an error and closed. Default 64. */
  maxConnections?: number;
  /** A connection with nothing in flight and no traffic for this long is closed, ms; 0: never. Default 60000. */
  idleTimeoutMs?: number;
  /**
   * Answer bytes a connection may have waiting to be read by its client: past it, no further request
   * of that connection is read until the client reads. Default 64 KiB.
   */
  maxQueuedBytes?: number;
}

/** The defaults of {@link ListenOptions}' limits. */
export const CTL_LIMITS = {
  maxRequestBytes: 64 * 1024,
  maxBatch: 16,
  maxConnections: 64,
  idleTimeoutMs: 60_000,
  maxQueuedBytes: 64 * 1024,
} as const;

type Limits = { -readonly [K in keyof typeof CTL_LIMITS]: number };

/**
 * Requests of one connection served at once. With the batch cap and the queued-bytes cap, this
 * bounds what one connection can make the server hold: a client cannot have more answers in the
 * making than this many, whatever it sends.
 */
const MAX_IN_FLIGHT = 1;

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

function errorLine(code: number, message: string, errCode: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message, data: { code: errCode } } }) + '\n';
}

const tooLargeLine = (max: number) => errorLine(CTL_ERROR.INVALID_REQUEST,
  `request larger than ${max} bytes; closing the connection`, 'ERR_RTIMER_CTL_REQUEST_TOO_LARGE');

/** Ends a connection after `line`; drops it once that is flushed, or after a second if the client does not read. */
function refuse(socket: Socket, line: string): void {
  if (!socket.destroyed && socket.writable) socket.write(line);
  socket.end();
  const drop = setTimeout(() => socket.destroy(), 1000).unref();
  socket.once('finish', () => { clearTimeout(drop); socket.destroy(); });
  socket.once('close', () => clearTimeout(drop));
}

/**
 * One connection: newline-delimited JSON-RPC texts in, one response line per answered request out
 * (in completion order; ids pair them). A client that leaves early only loses its own answers.
 *
 * What a connection costs is bounded: complete lines wait in a queue and are dispatched at most
 * MAX_IN_FLIGHT at a time, and only while fewer than `maxQueuedBytes` of answers wait for the client
 * to read them; otherwise the socket is paused, so the kernel's buffer (then the client) holds what it
 * sends, not us. An idle connection (nothing in flight, no traffic) is closed after `idleTimeoutMs`,
 * a client that never reads its answers included.
 */
function serveConnection(socket: Socket, dispatch: (text: string) => Promise<string | null>, limits: Limits): void {
  const max = limits.maxRequestBytes;
  let chunks: Buffer[] = [];
  let size = 0;
  const lines: Buffer[] = [];
  let inFlight = 0;
  let inputEnded = false;
  let discarding = false;
  // EPIPE / ECONNRESET from a client that disconnected mid-call: nothing to do but drop it.
  socket.on('error', () => socket.destroy());
  if (limits.idleTimeoutMs > 0) {
    // No traffic for a whole period: closed, unless a call is still running (then checked again a
    // period later). A client that left its answers unread all that time is idle too.
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      if (inFlight === 0) socket.destroy();
      else socket.setTimeout(limits.idleTimeoutMs);
    });
  }

  const canDispatch = () => inFlight < MAX_IN_FLIGHT && socket.writableLength < limits.maxQueuedBytes;
  const finishIfDone = () => {
    if (inputEnded && inFlight === 0 && lines.length === 0 && !socket.destroyed) socket.end();
  };
  const pump = () => {
    if (socket.destroyed) return;
    while (lines.length && canDispatch()) handle(lines.shift()!);
    if (lines.length || !canDispatch()) socket.pause();
    else if (!discarding && !inputEnded) socket.resume();
    finishIfDone();
  };
  const handle = (buf: Buffer) => {
    const text = buf.toString('utf8');
    if (text.trim() === '') return;
    inFlight++;
    dispatch(text).then((res) => {
      if (res !== null && !socket.destroyed && socket.writable) socket.write(res + '\n');
    }).finally(() => { inFlight--; pump(); });
  };
  socket.on('drain', pump);
  const reject = () => {
    discarding = true;
    chunks = [];
    lines.length = 0;
    refuse(socket, tooLargeLine(max));
  };

  socket.on('data', (data: Buffer) => {
    if (discarding) return;
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      const part = data.subarray(start, nl);
      if (size + part.length > max) return reject();
      // A copy: a queued line must not pin the whole chunk it came in.
      lines.push(chunks.length ? Buffer.concat([...chunks, part]) : Buffer.from(part));
      chunks = [];
      size = 0;
      start = nl + 1;
    }
    const rest = data.subarray(start);
    if (size + rest.length > max) return reject();
    if (rest.length) { chunks.push(Buffer.from(rest)); size += rest.length; }
    pump();
  });
  // A last request without a newline, then end of input (`printf '…' | socat - UNIX-CONNECT:…`):
  // answer it, then close our side.
  socket.on('end', () => {
    inputEnded = true;
    if (!discarding && size > 0) lines.push(Buffer.concat(chunks));
    chunks = [];
    pump();
  });
}

/** The limits of `options`, defaults filled in; a bad one is an ERR_RTIMER_CTL_OPTION naming it. */
function checkLimits(options: ListenOptions): Limits {
  if (options === null || typeof options !== 'object') throw new RTimerError('ERR_RTIMER_CTL_OPTION', 'listen() options must be an object');
  const limits = { ...CTL_LIMITS } as Limits;
  for (const key of Object.keys(CTL_LIMITS) as (keyof Limits)[]) {
    const v = options[key];
    if (v === undefined) continue;
    const least = key === 'idleTimeoutMs' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < least || v > 2 ** 31 - 1) {
      throw new RTimerError('ERR_RTIMER_CTL_OPTION',
        `${key} must be ${least ? 'a positive integer' : 'an integer of 0 or more'} up to 2147483647, got ${String(v)}`);
    }
    limits[key] = v;
  }
  return limits;
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
  const limits = checkLimits(options);
  const path = await preparePath(options.path);
  const dispatch = createDispatcher(target, { maxBatch: limits.maxBatch });
  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (connections.size >= limits.maxConnections) {
      socket.on('error', () => socket.destroy());
      refuse(socket, errorLine(CTL_ERROR.SERVER_BUSY, `too many connections (at most ${limits.maxConnections}); try again later`,
        'ERR_RTIMER_CTL_TOO_MANY_CONNECTIONS'));
      return;
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, dispatch, limits);
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
