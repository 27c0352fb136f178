import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ctl, CTL_ERROR, listen, RTimerCtlError, runCtl, type CtlServer, type ListenOptions } from '../lib/ctl/index.js';
import { RTimerError } from '../lib/errors.js';
import { FakeTarget } from './fixtures/ctl/fake-target.js';
import { runNode } from './support/run.js';

interface Response { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: { code: number; message: string; data?: { code?: string } } }

/** A raw connection: write any bytes, read the answers line by line. */
class Raw {
  readonly socket: Socket;
  readonly lines: string[] = [];
  readonly closed: Promise<void>;
  #waiters: (() => void)[] = [];
  #buf = '';
  constructor(path: string) {
    this.socket = connect(path);
    this.socket.setEncoding('utf8');
    this.socket.on('error', () => {});
    this.socket.on('data', (d: string) => {
      this.#buf += d;
      for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
        this.lines.push(this.#buf.slice(0, nl));
        this.#buf = this.#buf.slice(nl + 1);
      }
      this.#waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((r) => this.socket.on('close', () => { this.#waiters.splice(0).forEach((w) => w()); r(); }));
  }
  send(text: string): this { this.socket.write(text); return this; }
  call(method: string, params?: unknown, id: unknown = 1): this {
    return this.send(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id }) + '\n');
  }
  /** The next answer line, parsed; fails if the connection closes first. */
  async next(): Promise<Response | Response[]> {
    while (!this.lines.length) {
      if (this.socket.destroyed) throw new Error('connection closed without an answer');
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return JSON.parse(this.lines.shift()!);
  }
  async one(): Promise<Response> { return await this.next() as Response; }
  close(): void { this.socket.destroy(); }
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => { out.stdout += s; } }, stderr: { write: (s: string) => { out.stderr += s; } } } };
}

/** A socket file with no listener behind it: a server killed before it could unlink its socket. */
function staleSocket(path: string): Promise<void> {
  const code = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', () => (lstatSync(path).isSocket() ? done() : fail(new Error('no stale socket made'))));
  });
}

describe('control socket (rtimer ctl)', () => {
  let dir = '';
  let n = 0;
  const sockPath = () => join(dir, `c${++n}.sock`);
  let target: FakeTarget;
  let server: CtlServer;
  const opened: (CtlServer | Raw)[] = [];

  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-ctl-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    target = new FakeTarget();
    server = await listen(target, { path: sockPath(), maxRequestBytes: 1024 });
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) if (o instanceof Raw) o.close(); else await o.close();
    await server.close();
  });
  const raw = () => { const r = new Raw(server.path); opened.push(r); return r; };

  describe('methods', () => {
    it('rtimer.list returns every timer as TimerInfo, or the one named', async () => {
      assert.deepEqual(await ctl(server.path, 'rtimer.list'), target.list());
      assert.deepEqual(await ctl(server.path, 'rtimer.list', ['tb']), [target.list()[1]]);
      assert.deepEqual(await ctl(server.path, 'rtimer.list', { timer: 'tc' }), [target.list()[2]]);
    });

    it('rtimer.stats returns stats() as JSON, histograms through their toJSON()', async () => {
      const stats = await ctl(server.path, 'rtimer.stats') as { name: string; lateness: { count: number; max: number }; workers?: unknown[] }[];
      assert.deepEqual(stats.map((s) => s.name), ['ta', 'tb', 'tc']);
      assert.equal(stats[0].lateness.count, 3);
      assert.ok(stats[0].lateness.max >= 40_000);
      assert.equal(stats[1].workers?.length, 2);
    });

    it('rtimer.pause and rtimer.continue drive pause()/resume() and answer the new TimerInfo', async () => {
      const paused = await ctl(server.path, 'rtimer.pause', ['ta']) as { name: string; state: string };
      assert.equal(paused.name, 'ta');
      assert.equal(paused.state, 'paused');
      const resumed = await ctl(server.path, 'rtimer.continue', { timer: 'ta' }) as { state: string };
      assert.equal(resumed.state, 'running');
      assert.deepEqual(target.calls, ['pause ta', 'resume ta']);
    });

    it('rtimer.start, rtimer.loop, rtimer.end and rtimer.trigger call trigger() with their verb', async () => {
      await ctl(server.path, 'rtimer.end', ['tb']);
      assert.equal(target.timers[1].state, 'ended');
      await ctl(server.path, 'rtimer.start', ['tb']);
      await ctl(server.path, 'rtimer.loop', ['tb']);
      const ticked = await ctl(server.path, 'rtimer.trigger', { timer: 'tc', verb: 'tick' }) as { counters: { triggered: number } };
      assert.equal(ticked.counters.triggered, 1);
      await ctl(server.path, 'rtimer.trigger', ['ta', 'end']);
      assert.deepEqual(target.calls, ['trigger tb end', 'trigger tb start', 'trigger tb loop', 'trigger tc tick', 'trigger ta end']);
    });

    it('rtimer.resume is rtimer.continue; system.listMethods and rtimer.help describe every method (issue 20 #9)', async () => {
      await ctl(server.path, 'rtimer.pause', ['ta']);
      assert.equal((await ctl(server.path, 'rtimer.resume', ['ta']) as { state: string }).state, 'running');
      const methods = await ctl(server.path, 'system.listMethods') as string[];
      for (const m of ['rtimer.list', 'rtimer.continue', 'rtimer.resume', 'rtimer.help', 'system.listMethods']) assert.ok(methods.includes(m), m);
      const help = await ctl(server.path, 'rtimer.help') as Record<string, string>;
      assert.deepEqual(Object.keys(help), methods);
      assert.match(await ctl(server.path, 'rtimer.help', ['pause']) as string, /^rtimer\.pause timer: pause/);
      assert.deepEqual(target.calls, ['pause ta', 'resume ta']);
    });

    it('methods, verbs and timer names are case-insensitive; unknown names suggest the nearest (issue 20 #8, #9)', async () => {
      assert.equal((await ctl(server.path, 'RTIMER.PAUSE', ['TA']) as { name: string; state: string }).state, 'paused');
      await ctl(server.path, 'rtimer.Continue', { timer: 'Ta' });
      await ctl(server.path, 'rtimer.trigger', ['tc', 'TICK']);
      assert.deepEqual(await ctl(server.path, 'rtimer.list', ['TB']), [target.list()[1]]);
      assert.deepEqual(target.calls, ['pause ta', 'resume ta', 'trigger tc tick']);
      await assert.rejects(ctl(server.path, 'rtimer.paus', ['ta']), /"rtimer\.paus" not found \(did you mean "rtimer\.pause"\?\)/);
      await assert.rejects(ctl(server.path, 'rtimer.list', ['tx']), /unknown timer "tx" \(did you mean "ta"\?\)/);
      await assert.rejects(ctl(server.path, 'rtimer.trigger', ['ta', 'tikc']), /unknown verb "tikc" \(did you mean "tick"\?\)/);
      const c = capture();
      assert.equal(await runCtl([server.path, 'PAUSE', 'ta'], c.io), 0, c.out.stderr);
      assert.equal(target.timers[0].state, 'paused');
    });

    it('answers a batch with an array and a notification with nothing', async () => {
      const r = raw();
      r.send(JSON.stringify([
        { jsonrpc: '2.0', method: 'rtimer.pause', params: ['ta'], id: 'a' },
        { jsonrpc: '2.0', method: 'rtimer.list', params: ['nope'], id: 'b' },
        { jsonrpc: '2.0', method: 'rtimer.pause', params: ['tc'] },
      ]) + '\n');
      const batch = await r.next() as Response[];
      assert.ok(Array.isArray(batch));
      assert.deepEqual(batch.map((x) => x.id).sort(), ['a', 'b']);
      assert.equal(batch.find((x) => x.id === 'b')?.error?.code, CTL_ERROR.TIMER_ERROR);
      r.call('rtimer.list', ['tc'], 7);
      const next = await r.one();
      assert.equal(next.id, 7);
      assert.equal((next.result as { state: string }[])[0].state, 'paused');
      r.send(JSON.stringify([{ jsonrpc: '2.0', method: 'rtimer.list', id: 1 }]) + '\n');
      assert.ok(Array.isArray(await r.next()), 'a one-element batch is answered with an array');
    });

    it('accepts a last request without a newline when the client half-closes', async () => {
      const r = raw();
      r.send(JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', id: 3 }));
      r.socket.end();
      const res = await r.one();
      assert.equal(res.id, 3);
      assert.equal((res.result as unknown[]).length, 3);
      await r.closed;
    });
  });

  describe('bad input gets a JSON-RPC error, and the connection keeps serving', () => {
    it('malformed JSON: -32700', async () => {
      const r = raw();
      r.send('{"jsonrpc": "2.0", "method": \n');
      const res = await r.one();
      assert.equal(res.id, null);
      assert.equal(res.error?.code, CTL_ERROR.PARSE_ERROR);
      r.call('rtimer.list');
      assert.ok(Array.isArray((await r.one()).result));
    });

    it('not a request: -32600 (wrong version, no method, a bare value, an empty batch, an object id)', async () => {
      const r = raw();
      for (const text of ['{"jsonrpc":"1.0","method":"rtimer.list","id":1}', '{"jsonrpc":"2.0","id":1}', 'null', '42', '[]',
        '{"jsonrpc":"2.0","method":5,"id":1}', '{"jsonrpc":"2.0","method":"rtimer.list","id":{"x":1}}', '[null]']) {
        r.send(text + '\n');
        const res = await r.next();
        const err = Array.isArray(res) ? res[0].error : res.error;
        assert.equal(err?.code, CTL_ERROR.INVALID_REQUEST, `${text} → ${JSON.stringify(res)}`);
      }
    });

    it('unknown method: -32601 naming it', async () => {
      await assert.rejects(ctl(server.path, 'rtimer.frobnicate'),
        (err: RTimerCtlError) => err.rpcCode === CTL_ERROR.METHOD_NOT_FOUND && /"rtimer\.frobnicate" not found/.test(err.message));
    });

    it('bad params: -32602 naming what is wrong', async () => {
      const cases: [string, unknown, RegExp][] = [
        ['rtimer.pause', undefined, /"timer" is missing/],
        ['rtimer.pause', [], /"timer" is missing/],
        ['rtimer.pause', [5], /"timer" must be a non-empty string/],
        ['rtimer.pause', [''], /"timer" must be a non-empty string/],
        ['rtimer.pause', { name: 'ta' }, /unknown param "name"/],
        ['rtimer.pause', ['ta', 'tb'], /got 2 params/],
        ['rtimer.continue', 'ta', /expects \[timer\]/],
        ['rtimer.trigger', ['ta'], /"verb" is missing/],
        ['rtimer.trigger', { timer: 'ta', verb: 'jump' }, /unknown verb "jump"/],
        ['rtimer.list', ['ta', 'tb'], /got 2 params/],
      ];
      for (const [method, params, message] of cases) {
        await assert.rejects(ctl(server.path, method, params),
          (err: RTimerCtlError) => err.rpcCode === CTL_ERROR.INVALID_PARAMS && message.test(err.message),
          `${method} ${JSON.stringify(params)}`);
      }
      assert.deepEqual(target.calls, [], 'no bad call reached the target');
    });

    it('unknown timer: the application code, the message naming it, the RTimerError code in data', async () => {
      for (const [method, params] of [['rtimer.pause', ['nope']], ['rtimer.trigger', ['nope', 'tick']], ['rtimer.list', ['nope']]] as const) {
        const r = raw();
        r.call(method, params);
        const res = await r.one();
        assert.equal(res.error?.code, CTL_ERROR.TIMER_ERROR);
        assert.match(res.error!.message, /unknown timer "nope"/);
        assert.deepEqual(res.error?.data, { code: 'ERR_RTIMER_TIMER_UNKNOWN' });
      }
      await assert.rejects(ctl(server.path, 'rtimer.continue', ['nope']),
        (err: RTimerCtlError) => err instanceof RTimerError && err.code === 'ERR_RTIMER_TIMER_UNKNOWN');
    });

    it('a target that throws something else: -32603, the server lives on', async () => {
      target.stats = () => { throw new TypeError('boom'); };
      await assert.rejects(ctl(server.path, 'rtimer.stats'), (err: RTimerCtlError) => err.rpcCode === CTL_ERROR.INTERNAL_ERROR && /boom/.test(err.message));
      target.stats = () => [{ name: 'x', big: 1n }];
      await assert.rejects(ctl(server.path, 'rtimer.stats'), (err: RTimerCtlError) => err.rpcCode === CTL_ERROR.INTERNAL_ERROR && /BigInt/.test(err.message));
      assert.equal(((await ctl(server.path, 'rtimer.pause', ['ta'])) as { state: string }).state, 'paused');
    });

    it('a line longer than maxRequestBytes: an error, then the connection is closed; one at the cap is served', async () => {
      const atCap = JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', id: 1 });
      const ok = raw().send(atCap.padEnd(1024, ' ') + '\n');
      assert.equal((await ok.one()).id, 1);

      const big = raw();
      // In pieces, so the cap holds across reads and not only within one chunk.
      for (let i = 0; i < 8; i++) big.send('x'.repeat(200));
      const res = await big.one();
      assert.equal(res.error?.code, CTL_ERROR.INVALID_REQUEST);
      assert.match(res.error!.message, /larger than 1024 bytes/);
      assert.equal(res.error?.data?.code, 'ERR_RTIMER_CTL_REQUEST_TOO_LARGE');
      await big.closed;
      assert.ok(Array.isArray(await ctl(server.path, 'rtimer.list')), 'others are still served');
    });

    it('ctl() sending an oversized request rejects with the server\'s message, not a timeout', async () => {
      await assert.rejects(ctl(server.path, 'rtimer.pause', ['x'.repeat(2000)], { timeoutMs: 10_000 }),
        (err: RTimerCtlError) => err.code === 'ERR_RTIMER_CTL_REQUEST_TOO_LARGE' && /larger than/.test(err.message));
    });
  });

  describe('many clients', () => {
    it('50 concurrent clients each get their own answer', async () => {
      const names = ['ta', 'tb', 'tc'];
      const calls = Array.from({ length: 50 }, (_, i) => {
        const name = names[i % 3];
        return i % 2 ? ctl(server.path, 'rtimer.list', [name]).then((r) => (r as { name: string }[])[0].name)
          : ctl(server.path, 'rtimer.trigger', [name, 'tick']).then((r) => (r as { name: string }).name);
      });
      const got = await Promise.all(calls);
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => names[i % 3]));
      assert.equal(target.timers.reduce((s, t) => s + t.counters.triggered, 0), 25);
    });

    it('pipelined requests on one connection are all answered, paired by id', async () => {
      const r = raw();
      r.send(Array.from({ length: 20 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', params: [['ta', 'tb'][i % 2]], id: i })).join('\n') + '\n');
      const ids = [];
      for (let i = 0; i < 20; i++) {
        const res = await r.one();
        assert.equal((res.result as { name: string }[])[0].name, ['ta', 'tb'][Number(res.id) % 2]);
        ids.push(res.id);
      }
      assert.deepEqual(ids.sort((a, b) => Number(a) - Number(b)), Array.from({ length: 20 }, (_, i) => i));
    });

    it('a client that sends much and reads late gets every answer (reading pauses while its answers back up)', async () => {
      const r = raw();
      r.socket.pause();
      const count = 3000; // ~1 KB of answer each: several times what the socket buffers hold
      r.send(Array.from({ length: count }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', id: i })).join('\n') + '\n');
      await new Promise((res) => setTimeout(res, 50));
      assert.ok(Array.isArray(await ctl(server.path, 'rtimer.list')), 'others are served meanwhile');
      r.socket.resume();
      const seen = new Set();
      for (let i = 0; i < count; i++) seen.add((await r.one()).id);
      assert.equal(seen.size, count);
    });

    it('a client that disconnects mid-call costs nothing: the call finishes, others are served, no crash', async () => {
      let release!: () => void;
      target.hold = new Promise((r) => { release = r; });
      const gone = raw();
      gone.call('rtimer.trigger', ['ta', 'end']);
      while (!target.calls.length) await new Promise((r) => setTimeout(r, 5));
      gone.close();
      await gone.closed;
      const half = raw();
      half.send('{"jsonrpc":"2.0","method":"rtimer.li'); // and leaves mid-line
      half.close();
      target.hold = null;
      assert.ok(Array.isArray(await ctl(server.path, 'rtimer.list')));
      release();
      await new Promise((r) => setTimeout(r, 20)); // its answer is written to a closed socket
      assert.equal(target.timers[0].state, 'ended');
      assert.equal(((await ctl(server.path, 'rtimer.list', ['ta'])) as { state: string }[])[0].state, 'ended');
    });
  });

  describe('limits (issue 17)', () => {
    const batch = (n: number) => '[' + Array.from({ length: n }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', id: i })).join(',') + ']\n';
    /** A server of its own with these limits; closed after the test. */
    const serveWith = async (limits: Omit<ListenOptions, 'path'>) => { const s = await listen(target, { path: sockPath(), ...limits }); opened.push(s); return s.path; };
    const connectTo = (path: string) => { const r = new Raw(path); opened.push(r); return r; };

    it('a batch longer than maxBatch is refused whole, naming both lengths; one at the cap is answered; the connection goes on', async () => {
      const path = await serveWith({ maxBatch: 3 });
      const r = connectTo(path);
      r.send(batch(4));
      const refused = await r.one();
      assert.equal(refused.error?.code, CTL_ERROR.INVALID_REQUEST);
      assert.equal(refused.error?.data?.code, 'ERR_RTIMER_CTL_BATCH_TOO_LONG');
      assert.match(refused.error!.message, /batch of 4 requests; at most 3/);
      r.send(batch(3));
      assert.equal((await r.next() as Response[]).length, 3);
    });

    it('past maxConnections a client is answered ERR_RTIMER_CTL_TOO_MANY_CONNECTIONS and closed; a freed place is taken again', async () => {
      const path = await serveWith({ maxConnections: 2 });
      const a = connectTo(path);
      const b = connectTo(path);
      a.call('rtimer.list');
      b.call('rtimer.list');
      await Promise.all([a.one(), b.one()]);
      const c = connectTo(path);
      const busy = await c.one();
      assert.equal(busy.error?.code, CTL_ERROR.SERVER_BUSY);
      assert.equal(busy.error?.data?.code, 'ERR_RTIMER_CTL_TOO_MANY_CONNECTIONS');
      assert.match(busy.error!.message, /too many connections \(at most 2\)/);
      await c.closed;
      await assert.rejects(ctl(path, 'rtimer.list'), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_TOO_MANY_CONNECTIONS');
      a.close();
      await a.closed;
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(Array.isArray(await ctl(path, 'rtimer.list')));
    });

    it('an idle connection is closed after idleTimeoutMs, one waiting for its answer is not', async () => {
      const path = await serveWith({ idleTimeoutMs: 150 });
      const idle = connectTo(path);
      idle.call('rtimer.list');
      await idle.one();
      let release!: () => void;
      target.hold = new Promise((r) => { release = r; });
      const waiting = connectTo(path);
      waiting.call('rtimer.trigger', ['ta', 'end']);
      await idle.closed; // closed by the server, not by the test
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(waiting.socket.destroyed, false, 'still open while its call runs');
      release();
      assert.equal((await waiting.one()).id, 1);
      await waiting.closed;
      // One that sends and never reads its answers, with requests still waiting on them, is idle too.
      const mute = connectTo(path);
      mute.socket.pause();
      mute.send(Array.from({ length: 2000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.stats', id: i })).join('\n') + '\n');
      await new Promise((r) => setTimeout(r, 1000));
      mute.socket.resume(); // reads what was sent before the close, then sees it
      await mute.closed;
      assert.ok(mute.lines.length < 2000, `${mute.lines.length} answers: closed before the end`);
    });

    it('requests of one connection are answered one at a time, in order', async () => {
      const r = raw();
      r.send(Array.from({ length: 10 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'rtimer.list', id: i })).join('\n') + '\n');
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push((await r.one()).id);
      assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => i));
    });

    it('bad limits are refused naming them', async () => {
      const path = sockPath();
      for (const [key, value] of [['maxBatch', 0], ['maxConnections', 1.5], ['idleTimeoutMs', -1], ['maxQueuedBytes', 2 ** 31], ['idleTimeoutMs', '5']] as const) {
        await assert.rejects(listen(target, { path, [key]: value }), (err: RTimerError) =>
          err.code === 'ERR_RTIMER_CTL_OPTION' && err.message.startsWith(`${key} must be`), key);
      }
      assert.equal(existsSync(path), false);
    });
  });

  describe('the socket file', () => {
    it('is created with mode 0600 even under a permissive umask', async () => {
      const old = process.umask(0);
      let s: CtlServer;
      try {
        s = await listen(target, { path: sockPath() });
      } finally {
        process.umask(old);
      }
      opened.push(s);
      assert.ok(lstatSync(s.path).isSocket());
      assert.equal(statSync(s.path).mode & 0o777, 0o600);
      assert.equal(statSync(server.path).mode & 0o777, 0o600);
    });

    it('is 0600 when listen() runs in a worker thread, which cannot set the umask', async () => {
      const old = process.umask(0);
      try {
        const worker = new Worker(new URL('./fixtures/ctl/worker-entry.mjs', import.meta.url), {
          workerData: { path: sockPath() }, execArgv: [] });
        const [mode] = await Promise.all([
          new Promise((res, rej) => { worker.once('message', res); worker.once('error', rej); }),
          new Promise((res) => worker.once('exit', res)),
        ]);
        assert.equal(mode, 0o600);
      } finally {
        process.umask(old);
      }
    });

    it('an unref()d server lets the process exit, and the socket file goes with it', async () => {
      const path = sockPath();
      const r = await runNode(['--import', 'tsx', 'test/fixtures/ctl/unref.ts', path], { timeoutMs: 10_000 });
      assert.deepEqual([r.code, r.signal, r.stdout], [0, null, `listening ${path}\n`], r.stderr);
      assert.equal(existsSync(path), false);
    });

    it('a stale socket (nobody listening) is replaced', async () => {
      const path = sockPath();
      await staleSocket(path);
      const s = await listen(target, { path });
      opened.push(s);
      assert.ok(Array.isArray(await ctl(path, 'rtimer.list')));
    });

    it('a regular file or a symlink at the path is left untouched, with an error naming it', async () => {
      const file = sockPath();
      writeFileSync(file, 'not yours');
      await assert.rejects(listen(target, { path: file }),
        (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_PATH_EXISTS' && err.message.includes(file) && /not a socket/.test(err.message));
      assert.equal(readFileSync(file, 'utf8'), 'not yours');
      const link = sockPath();
      symlinkSync(server.path, link);
      await assert.rejects(listen(target, { path: link }), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_PATH_EXISTS');
      assert.ok(lstatSync(link).isSymbolicLink());
    });

    it('a missing directory is an error naming it', async () => {
      const path = join(dir, 'no-such-dir', 'c.sock');
      await assert.rejects(listen(target, { path }),
        (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_DIR_MISSING' && err.message.includes(join(dir, 'no-such-dir')));
      assert.equal(existsSync(join(dir, 'no-such-dir')), false);
    });

    it('a path too long for a Unix socket is an error, not a silently truncated file', async () => {
      const path = join(dir, 'x'.repeat(120));
      await assert.rejects(listen(target, { path }), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_PATH_TOO_LONG');
      assert.equal(existsSync(path.slice(0, 107)), false);
    });

    it('a bad path or maxRequestBytes is refused before anything is created', async () => {
      await assert.rejects(listen(target, { path: '' }), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_PATH');
      const path = sockPath();
      for (const maxRequestBytes of [0, -1, 1.5, NaN]) {
        await assert.rejects(listen(target, { path, maxRequestBytes }), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_OPTION');
      }
      assert.equal(existsSync(path), false);
    });

    it('a live socket (another server) is not stolen', async () => {
      await assert.rejects(listen(new FakeTarget(), { path: server.path }),
        (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_IN_USE' && err.message.includes(server.path));
      await ctl(server.path, 'rtimer.pause', ['ta']);
      assert.deepEqual(target.calls, ['pause ta'], 'the first server still answers');
    });

    it('close() removes the socket file, drops connections and is idempotent', async () => {
      const path = sockPath();
      const s = await listen(target, { path });
      const r = new Raw(path);
      r.call('rtimer.list');
      await r.one();
      await Promise.all([s.close(), s.close()]);
      await r.closed;
      assert.equal(existsSync(path), false);
      await s.close();
      await assert.rejects(ctl(path, 'rtimer.list'), (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_CONNECT');
    });
  });

  describe('rtimer ctl (runCtl)', () => {
    it('list prints a table, one line per timer and per worker; exit 0', async () => {
      const { out, io } = capture();
      assert.equal(await runCtl([server.path, 'list'], io), 0, out.stderr);
      const lines = out.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^timer\s+state\s+mode\s+interval\s+next\s+ticks\s+executions\s+missed\s+paused\s+errors\s+triggered$/);
      assert.match(lines[1], /^ta\s+running\s+0\s+10s\s+in \d+\.\d+s\s+12\s+10\s+1\s+1\s+0\s+0$/);
      assert.match(lines[2], /^tb\s+running\s+2\s+100ms\s/);
      assert.match(lines[3], /^\s+worker 1 pid 4242\s+running$/);
      assert.match(lines[4], /^\s+worker 2 pid 4243, 3 restarts\s+running$/);
      assert.match(lines[5], /^tc\s+running\s+inline\s+250us\s/);
      assert.equal(lines.length, 6);
    });

    it('stats prints counters and lateness in µs', async () => {
      const { out, io } = capture();
      assert.equal(await runCtl([server.path, 'rtimer.stats', 'ta'], io), 0, out.stderr);
      const lines = out.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^timer\s+mode\s+interval µs\s+ticks\s+executions\s+missed\s+paused\s+errors\s+late p50 µs\s+p99 µs\s+max µs$/);
      assert.match(lines[1], /^ta\s+0\s+10000000\s+12\s+10\s+1\s+1\s+0\s+\d+(\.\d)?\s+\d+\s+\d+$/);
      assert.equal(lines.length, 2);
    });

    it('--json prints the raw result', async () => {
      const { out, io } = capture();
      assert.equal(await runCtl([server.path, 'list', '--json'], io), 0, out.stderr);
      assert.deepEqual(JSON.parse(out.stdout), target.list());
    });

    it('a verb prints the timer after it, with or without the rtimer. prefix', async () => {
      const a = capture();
      assert.equal(await runCtl([server.path, 'pause', 'ta'], a.io), 0, a.out.stderr);
      assert.match(a.out.stdout.split('\n')[1], /^ta\s+paused\s/);
      const b = capture();
      assert.equal(await runCtl([server.path, 'rtimer.trigger', 'tc', 'tick', '--json'], b.io), 0, b.out.stderr);
      assert.equal(JSON.parse(b.out.stdout).counters.triggered, 1);
      assert.deepEqual(target.calls, ['pause ta', 'trigger tc tick']);
    });

    it('exit 1 with the JSON-RPC error message when the call fails', async () => {
      for (const [args, message] of [
        [['pause', 'nope'], /^rtimer ctl: unknown timer "nope"\n$/],
        [['trigger', 'ta', 'jump'], /^rtimer ctl: .*unknown verb "jump"/],
        [['frobnicate'], /^rtimer ctl: method "rtimer\.frobnicate" not found/],
      ] as const) {
        const { out, io } = capture();
        assert.equal(await runCtl([server.path, ...args], io), 1, args.join(' '));
        assert.equal(out.stdout, '');
        assert.match(out.stderr, message);
      }
      const { out, io } = capture();
      assert.equal(await runCtl([join(dir, 'absent.sock'), 'list'], io), 1);
      assert.match(out.stderr, /absent\.sock.*no such socket/);
    });

    it('exit 1 when the server does not answer within --timeout', async () => {
      const path = sockPath();
      const held: Socket[] = [];
      const mute = createServer((s) => { held.push(s); }).listen(path);
      await new Promise((r) => mute.once('listening', r));
      try {
        const { out, io } = capture();
        assert.equal(await runCtl([path, 'list', '--timeout', '100ms'], io), 1);
        assert.match(out.stderr, /no answer within 100 ms/);
      } finally {
        held.forEach((s) => s.destroy());
        await new Promise((r) => mute.close(r));
      }
    });

    it('a --timeout past setTimeout\'s 2^31-1 ms is a usage error, not a call that fails after 1 ms (issue 17)', async () => {
      const path = sockPath();
      const held: Socket[] = [];
      const mute = createServer((s) => { held.push(s); }).listen(path);
      await new Promise((r) => mute.once('listening', r));
      try {
        for (const t of ['25d', '2147483648ms']) {
          const { out, io } = capture();
          assert.equal(await runCtl([path, 'list', '--timeout', t], io), 2, t);
          assert.match(out.stderr, /^rtimer ctl: --timeout: .*at most 2147483647 ms/);
        }
        for (const timeoutMs of [2 ** 31, Infinity, 0, -1, NaN]) {
          await assert.rejects(ctl(path, 'rtimer.list', undefined, { timeoutMs }),
            (err: RTimerError) => err.code === 'ERR_RTIMER_CTL_OPTION' && /timeout .* out of range/.test(err.message), String(timeoutMs));
        }
        assert.equal(held.length, 0, 'refused before connecting');
        const { io } = capture();
        const call = runCtl([path, 'list', '--timeout', '24d'], io);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(held.length, 1, 'a long timeout within the range waits');
        held[0].destroy();
        assert.equal(await call, 1);
      } finally {
        held.forEach((s) => s.destroy());
        await new Promise((r) => mute.close(r));
      }
    });

    it('exit 2 on usage errors, 0 for --help', async () => {
      for (const args of [[], [server.path], [server.path, 'list', '--bogus'], [server.path, 'pause'], [server.path, 'pause', 'ta', 'tb'],
        [server.path, 'trigger', 'ta'], [server.path, 'list', 'ta', 'tb'], [server.path, 'list', '--timeout', 'soon'], [server.path, 'list', '--timeout', '0']]) {
        const { out, io } = capture();
        assert.equal(await runCtl(args, io), 2, args.join(' '));
        assert.match(out.stderr, /^rtimer ctl: .*\nsee rtimer ctl --help\n$/s);
      }
      assert.deepEqual(target.calls, []);
      const { out, io } = capture();
      assert.equal(await runCtl(['--help'], io), 0);
      assert.match(out.stdout, /^usage:/);
    });
  });
});
