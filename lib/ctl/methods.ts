import {
  JSONRPCErrorException, JSONRPCServer, createJSONRPCErrorResponse,
  type JSONRPCErrorResponse, type JSONRPCID, type JSONRPCRequest, type JSONRPCResponse,
} from 'json-rpc-2.0';
import { didYouMean, RTimerError } from '../errors.js';
import { TRIGGER_VERBS, type Controllable, type TimerInfo, type TriggerVerb } from './types.js';

/** JSON-RPC 2.0 error codes the control socket answers with. */
export const CTL_ERROR = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The target refused: an RTimerError, whose `code` is in the error's `data.code`. */
  TIMER_ERROR: -32000,
  /** The server is at a limit (too many connections); `data.code` says which. */
  SERVER_BUSY: -32001,
} as const;

/** Every method, with the one line `rtimer.help` answers (as Kamailio's `system.listMethods`/`help`). */
export const CTL_HELP = {
  'rtimer.list': '[timer]: every timer (or one) with its state, mode, interval, workers, next deadline and counters',
  'rtimer.stats': '[timer]: per-timer statistics, histograms included (as stats())',
  'rtimer.pause': 'timer: pause the timer; its deadlines stay on the grid and count as paused',
  'rtimer.continue': 'timer: resume a paused timer at its next deadline (alias rtimer.resume)',
  'rtimer.resume': 'timer: resume a paused timer at its next deadline (alias rtimer.continue)',
  'rtimer.start': 'timer: run the start route again with a fresh ctx.state, then the loop',
  'rtimer.loop': 'timer: resume the loop as it was',
  'rtimer.end': 'timer: run the end route; the loop ends',
  'rtimer.trigger': 'timer, verb: start, loop, end, or tick (run the tick routes once now)',
  'rtimer.help': '[method]: this help',
  'system.listMethods': 'the method names',
} as const;
export type CtlMethod = keyof typeof CTL_HELP;
export const CTL_METHODS = Object.keys(CTL_HELP) as CtlMethod[];

type Named = { name?: unknown };

function invalidParams(message: string): JSONRPCErrorException {
  return new JSONRPCErrorException(message, CTL_ERROR.INVALID_PARAMS);
}

/**
 * Reads `[a, b]` or `{ a, b }` params against the expected names, the first `required` of them
 * mandatory; every value a non-empty string. Extra values are refused rather than ignored, so a
 * typo'd key never turns a targeted call into an untargeted one.
 */
function readParams(method: string, params: unknown, names: readonly string[], required: number): Record<string, string | undefined> {
  const usage = `${method} expects ${names.length ? `[${names.join(', ')}] or { ${names.join(', ')} }` : 'no params'}`;
  const out: Record<string, string | undefined> = {};
  let values: [string, unknown][];
  if (params === undefined) values = [];
  else if (Array.isArray(params)) {
    if (params.length > names.length) throw invalidParams(`${usage}, got ${params.length} params`);
    values = params.map((v, i) => [names[i], v]);
  } else if (params !== null && typeof params === 'object') {
    const extra = Object.keys(params).filter((k) => !names.includes(k));
    if (extra.length) throw invalidParams(`${usage}, got unknown param "${extra[0]}"`);
    values = Object.entries(params);
  } else throw invalidParams(`${usage}, got ${JSON.stringify(params)}`);
  for (const [k, v] of values) {
    if (typeof v !== 'string' || v === '') throw invalidParams(`${usage}: "${k}" must be a non-empty string, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  const missing = names.slice(0, required).find((k) => out[k] === undefined);
  if (missing) throw invalidParams(`${usage}: "${missing}" is missing`);
  return out;
}

function unknownTimer(name: string, known: string[]): RTimerError {
  return new RTimerError('ERR_RTIMER_TIMER_UNKNOWN', `unknown timer "${name}"${didYouMean(name, known)}`);
}

/** Timer names compare case-insensitively everywhere, as in the configuration. */
const sameName = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

// Duck-typed too: an RTimerError from another copy of the package (dist/ beside lib/) still counts.
function isTimerError(err: unknown): err is { code: string; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof RTimerError || (err instanceof Error && typeof code === 'string' && code.startsWith('ERR_RTIMER'));
}

function toErrorResponse(id: JSONRPCID, err: unknown): JSONRPCErrorResponse {
  if (err instanceof JSONRPCErrorException) return createJSONRPCErrorResponse(id, err.code, err.message, err.data);
  if (isTimerError(err)) return createJSONRPCErrorResponse(id, CTL_ERROR.TIMER_ERROR, err.message, { code: err.code });
  const message = err instanceof Error ? err.message : String(err);
  return createJSONRPCErrorResponse(id, CTL_ERROR.INTERNAL_ERROR, `internal error: ${message}`);
}

function buildServer(target: Controllable): JSONRPCServer {
  // Errors are answered to the caller; the library would also console.warn each one.
  const rpc = new JSONRPCServer({ errorListener: () => {} });
  rpc.mapErrorToJSONRPCErrorResponse = toErrorResponse;
  rpc.handleMethodNotFound = async (req: JSONRPCRequest) => req.id === undefined ? null
    : createJSONRPCErrorResponse(req.id, CTL_ERROR.METHOD_NOT_FOUND,
      `method "${req.method}" not found${didYouMean(req.method, CTL_METHODS) || ' (system.listMethods lists them)'}`);

  const afterVerb = (name: string): TimerInfo | null => target.list().find((t) => sameName(t.name, name)) ?? null;
  const filtered = <T extends Named>(method: string, params: unknown, all: () => T[]): T[] => {
    const { timer } = readParams(method, params, ['timer'], 0);
    const rows = all();
    if (timer === undefined) return rows;
    const row = rows.filter((r) => sameName(r.name, timer));
    if (!row.length) throw unknownTimer(timer, rows.map((r) => String(r.name)));
    return row;
  };
  // The name as the timer set spells it (any target, case aside); an unknown one goes on, to be refused there.
  const canonical = (name: string): string => target.list().find((t) => sameName(t.name, name))?.name ?? name;
  const verb = (method: CtlMethod, run: (name: string) => void | Promise<void>) =>
    rpc.addMethod(method, async (params: unknown) => {
      const timer = canonical(readParams(method, params, ['timer'], 1).timer!);
      await run(timer);
      return afterVerb(timer);
    });

  rpc.addMethod('rtimer.list', (params: unknown) => filtered('rtimer.list', params, () => target.list()));
  rpc.addMethod('rtimer.stats', (params: unknown) => filtered('rtimer.stats', params, () => target.stats() as Named[]));
  verb('rtimer.pause', (name) => target.pause(name));
  verb('rtimer.continue', (name) => target.resume(name));
  verb('rtimer.resume', (name) => target.resume(name));
  rpc.addMethod('system.listMethods', (params: unknown) => { readParams('system.listMethods', params, [], 0); return [...CTL_METHODS]; });
  rpc.addMethod('rtimer.help', (params: unknown) => {
    const { method } = readParams('rtimer.help', params, ['method'], 0);
    if (method === undefined) return { ...CTL_HELP };
    const found = CTL_METHODS.find((m) => m.toLowerCase() === method.toLowerCase() || m === `rtimer.${method.toLowerCase()}`);
    if (!found) throw invalidParams(`rtimer.help: unknown method "${method}"${didYouMean(method, CTL_METHODS)}`);
    return `${found} ${CTL_HELP[found]}`;
  });
  verb('rtimer.start', (name) => target.trigger(name, 'start'));
  verb('rtimer.loop', (name) => target.trigger(name, 'loop'));
  verb('rtimer.end', (name) => target.trigger(name, 'end'));
  rpc.addMethod('rtimer.trigger', async (params: unknown) => {
    const { timer, verb: given } = readParams('rtimer.trigger', params, ['timer', 'verb'], 2);
    const v = given!.toLowerCase();
    if (!TRIGGER_VERBS.includes(v as TriggerVerb)) {
      throw invalidParams(`rtimer.trigger: unknown verb "${given}"${didYouMean(given, TRIGGER_VERBS)} (expected ${TRIGGER_VERBS.join(', ')})`);
    }
    const name = canonical(timer!);
    await target.trigger(name, v as TriggerVerb);
    return afterVerb(name);
  });
  return rpc;
}

const isId = (id: unknown): id is JSONRPCID | undefined =>
  id === undefined || id === null || typeof id === 'string' || typeof id === 'number';

/** Shape checks the library leaves out (it would echo an object id, or take a numeric method). */
function invalidRequest(req: unknown): JSONRPCResponse | null {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    return createJSONRPCErrorResponse(null, CTL_ERROR.INVALID_REQUEST, 'invalid request: not a JSON-RPC request object');
  }
  const r = req as Record<string, unknown>;
  const id = isId(r.id) ? r.id ?? null : null;
  if (r.jsonrpc !== '2.0') return createJSONRPCErrorResponse(id, CTL_ERROR.INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"');
  if (!isId(r.id)) return createJSONRPCErrorResponse(null, CTL_ERROR.INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null');
  if (typeof r.method !== 'string') return createJSONRPCErrorResponse(id, CTL_ERROR.INVALID_REQUEST, 'invalid request: "method" must be a string');
  return null;
}

/** Serialises a response; a result JSON cannot carry becomes an internal error rather than a broken line. */
function serialise(res: JSONRPCResponse | JSONRPCResponse[]): string {
  try {
    return JSON.stringify(res);
  } catch (err) {
    const id = Array.isArray(res) ? null : res.id;
    return JSON.stringify(toErrorResponse(id, err));
  }
}

/**
 * Starts queued calls one per turn of the event loop, in the order asked, and leaves the process at
 * least as much time as the calls took: a call that ran for d ms (its synchronous part and the
 * microtasks it queued) is followed by a pause of d ms before the next. However many clients send
 * however many requests, the control socket then adds at most one call's work to a turn and takes
 * at most about half of the process's time, so the timers in it keep their ticks, also on a host
 * busy enough to preempt a process that never sleeps. Calls still run concurrently once started.
 */
export function createPacer(): <T>(call: () => Promise<T>) => Promise<T> {
  const queue: (() => void)[] = [];
  let head = 0;
  let scheduled = false;
  const schedule = (restMs: number) => {
    scheduled = true;
    if (restMs >= 1) setTimeout(next, Math.ceil(restMs));
    else setImmediate(next);
  };
  const next = () => {
    scheduled = false;
    const start = queue[head];
    queue[head++] = undefined!;
    if (head === queue.length) { queue.length = 0; head = 0; }
    const began = performance.now();
    start?.();
    // The call's microtasks run after this callback returns: its length is taken on the next turn.
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (head < queue.length) schedule(performance.now() - began);
    });
  };
  return <T>(call: () => Promise<T>) => new Promise<T>((resolve, reject) => {
    queue.push(() => { call().then(resolve, reject); });
    if (!scheduled) schedule(0);
  });
}

/**
 * The JSON-RPC side of the control socket: one request text (single or batch) in, the response text
 * out (null for notifications). Never rejects. Parsing and every call of a batch go through one
 * pacer (see createPacer); each answer is serialised as soon as it is made, so what waits for the
 * rest of its batch is text, not the live objects (histograms) it was made of.
 */
export function createDispatcher(target: Controllable, options: { maxBatch?: number } = {}): (text: string) => Promise<string | null> {
  const maxBatch = options.maxBatch ?? Infinity;
  const rpc = buildServer(target);
  const pace = createPacer();
  const one = async (req: unknown): Promise<string | null> => {
    const bad = invalidRequest(req);
    if (bad) return serialise(bad);
    // Method names, like verbs and timer names, are case-insensitive: RTIMER.PAUSE is rtimer.pause.
    const method = CTL_METHODS.find((m) => m.toLowerCase() === ((req as JSONRPCRequest).method as string).toLowerCase());
    let res: JSONRPCResponse | null;
    try {
      res = await rpc.receive(method ? { ...(req as JSONRPCRequest), method } : req as JSONRPCRequest);
    } catch (err) {
      const id = (req as JSONRPCRequest).id;
      res = id === undefined ? null : toErrorResponse(id, err);
    }
    return res && serialise(res);
  };
  const parse = async (text: string): Promise<{ parsed: unknown } | { error: string }> => {
    try {
      return { parsed: JSON.parse(text) };
    } catch (err) {
      return { error: serialise(createJSONRPCErrorResponse(null, CTL_ERROR.PARSE_ERROR, `parse error: ${(err as Error).message}`)) };
    }
  };
  return async (text) => {
    const read = await pace(() => parse(text));
    if ('error' in read) return read.error;
    const { parsed } = read;
    if (!Array.isArray(parsed)) return pace(() => one(parsed));
    if (parsed.length === 0) return serialise(createJSONRPCErrorResponse(null, CTL_ERROR.INVALID_REQUEST, 'invalid request: empty batch'));
    if (parsed.length > maxBatch) {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: CTL_ERROR.INVALID_REQUEST,
        message: `invalid request: a batch of ${parsed.length} requests; at most ${maxBatch}`, data: { code: 'ERR_RTIMER_CTL_BATCH_TOO_LONG' } } });
    }
    // The library answers a one-element batch with a bare object; the spec wants an array.
    const all = (await Promise.all(parsed.map((req) => pace(() => one(req))))).filter((r): r is string => r !== null);
    return all.length ? `[${all.join(',')}]` : null;
  };
}
