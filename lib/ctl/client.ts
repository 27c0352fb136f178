import { connect } from 'node:net';
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCParams } from 'json-rpc-2.0';
import { RTimerError } from '../errors.js';

/** The server answered with a JSON-RPC error. `code` is the remote RTimerError's when there was one. */
export class RTimerCtlError extends RTimerError {
  /** The JSON-RPC error code (see CTL_ERROR). */
  readonly rpcCode: number;
  readonly data: unknown;
  constructor(message: string, rpcCode: number, data: unknown) {
    const remote = (data as { code?: unknown } | undefined)?.code;
    super(typeof remote === 'string' ? remote : 'ERR_RTIMER_CTL_RPC', message);
    this.name = 'RTimerCtlError';
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

export interface CtlCallOptions {
  /**
   * Give up (ERR_RTIMER_CTL_TIMEOUT) when no answer came within this many ms: more than 0, at most
   * {@link MAX_CTL_TIMEOUT_MS} (setTimeout's limit, about 24.8 days). Default 5000.
   */
  timeoutMs?: number;
}

/** The longest `timeoutMs`: a Node timer given more fires after 1 ms. */
export const MAX_CTL_TIMEOUT_MS = 2 ** 31 - 1;

/** Checks a call timeout; the message names the value and the range (the CLI prefixes `--timeout`). */
export function checkCtlTimeout(ms: number): void {
  if (typeof ms !== 'number' || !(ms > 0) || ms > MAX_CTL_TIMEOUT_MS) {
    throw new RTimerError('ERR_RTIMER_CTL_OPTION',
      `timeout ${typeof ms === 'number' ? `${ms} ms` : typeof ms} is out of range: more than 0, at most ${MAX_CTL_TIMEOUT_MS} ms (24.8 days)`);
  }
}

/**
 * Calls one method on the control socket at `path` and resolves with its result; rejects with an
 * RTimerCtlError carrying the server's message, or an RTimerError when the socket cannot be reached.
 */
export async function ctl(path: string, method: string, params?: JSONRPCParams, options: CtlCallOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 5000;
  checkCtlTimeout(timeoutMs);
  const socket = connect(path);
  let failure: RTimerError | null = null;
  // One call per connection: once an answer is in, a close or error after it changes nothing.
  let answered = false;
  const client = new JSONRPCClient((payload) => { socket.write(JSON.stringify(payload) + '\n'); });
  const fail = (err: RTimerError) => {
    if (answered) return;
    failure ??= err;
    client.rejectAllPendingRequests(err.message);
  };
  socket.on('error', (err: NodeJS.ErrnoException) => fail(new RTimerError('ERR_RTIMER_CTL_CONNECT',
    `control socket "${path}": ${err.code === 'ENOENT' ? 'no such socket (is `rtimer run --ctl` running?)' : err.message}`, { cause: err })));
  socket.on('close', () => fail(new RTimerError('ERR_RTIMER_CTL_CLOSED', `control socket "${path}" closed before answering`)));
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      let res;
      try {
        res = JSON.parse(line);
        if (res === null || typeof res !== 'object' || Array.isArray(res)) throw new Error('not a response object');
      } catch {
        fail(new RTimerError('ERR_RTIMER_CTL_PROTOCOL', `control socket "${path}" answered with something not a JSON-RPC response: ${line.slice(0, 200)}`));
        continue;
      }
      // An error without an id (parse error, request too large) is about the one request we sent.
      if (res.id === null && res.error) fail(new RTimerCtlError(String(res.error.message), Number(res.error.code), res.error.data));
      answered = true;
      client.receive(res);
    }
  });
  const timer = setTimeout(() => fail(new RTimerError('ERR_RTIMER_CTL_TIMEOUT', `control socket "${path}" gave no answer within ${timeoutMs} ms`)),
    timeoutMs);
  try {
    return await client.request(method, params);
  } catch (err) {
    if (failure) throw failure;
    if (err instanceof JSONRPCErrorException) throw new RTimerCtlError(err.message, err.code, err.data);
    throw err;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
