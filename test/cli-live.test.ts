import assert from 'node:assert/strict';
import { formatLiveLines, LIVE_MIN_INTERVAL_MS, LiveView } from '../lib/cli/live.js';
import { Histogram } from '../lib/stats/histogram.js';
import { sleep } from './support/native.js';
import { ROOT } from './support/run.js';

function row(name: string, mode: number | 'inline', intervalUs: number, c: { executions: number; missed: number; errors: number }, late: number[], failed?: boolean) {
  const lateness = new Histogram();
  for (const ns of late) lateness.record(ns);
  return { name, mode, intervalUs, ...c, lateness, ...(failed ? { failed } : {}) };
}

/** A stream that records what is written, with a terminal width. */
function fakeTty(columns?: number) {
  const writes: (string | Uint8Array)[] = [];
  return { writes, columns, write(text: string | Uint8Array) { writes.push(text); return true; } };
}

describe('live view (issue 12)', () => {
  describe('formatLiveLines', () => {
    it('one line per timer: executions, missed, errors, lateness p50/p99/max in µs, columns aligned', () => {
      const lines = formatLiveLines([
        row('fast', 'inline', 10_000, { executions: 1234, missed: 2, errors: 0 }, [5_000, 5_000, 5_000, 90_000]),
        row('housekeeping', 1, 60_000_000, { executions: 7, missed: 0, errors: 13 }, [1_200_000]),
      ]);
      assert.equal(lines.length, 2);
      const [fast, hk] = lines;
      assert.match(fast, /^T: fast \(mode inline, every 10ms\) +C: 1234 {2}missed: 2 {2}errors: {2}0 {2}late µs p50: +5\.\d {2}p99: +\d+ {2}max: +\d+$/);
      assert.match(hk, /^T: housekeeping \(mode 1, every 60s\) {2}C: {4}7 {2}missed: 0 {2}errors: 13 {2}late µs p50: +1\d{3} {2}p99: +1\d{3} {2}max: +1\d{3}$/);
      // Aligned: the counts start in the same column on every line.
      assert.equal(fast.indexOf('C:'), hk.indexOf('C:'));
      assert.equal(fast.indexOf('late µs'), hk.indexOf('late µs'));
      // max is the largest lateness recorded, p50 the typical one.
      const max = Number(/max: +(\S+)$/.exec(fast)![1]);
      assert.ok(max >= 85 && max <= 95, `max ${max} µs for 90 µs`);
    });

    it('a timer that has not run yet shows zeros; a failed one says so; no timers, no lines', () => {
      const [idle] = formatLiveLines([row('idle', 2, 250, { executions: 0, missed: 0, errors: 0 }, [])]);
      assert.match(idle, /^T: idle \(mode 2, every 250us\)  C: 0  missed: 0  errors: 0  late µs p50: 0\.0  p99: 0\.0  max: 0\.0$/);
      const [dead] = formatLiveLines([row('dead', 2, 1_500_000, { executions: 1, missed: 0, errors: 0 }, [1000], true)]);
      assert.match(dead, /^T: dead \(mode 2, every 1500ms\) FAILED {2}C: 1/);
      assert.deepEqual(formatLiveLines([]), []);
    });

    it('on a narrow terminal whole columns go (max first), no figure is cut (issue 20 #13)', () => {
      const rows = [row('media', 2, 500_000, { executions: 123456, missed: 7, errors: 3 }, [137_000, 186_000, 239_000])];
      const [wide] = formatLiveLines(rows);
      assert.ok([...wide].length > 60);
      for (const columns of [60, 50]) {
        const [narrow] = formatLiveLines(rows, columns);
        assert.ok([...narrow].length < columns, `${narrow} fits ${columns}`);
        assert.match(narrow, /^T: media \(mode 2, every 500ms\)  C: 123456/);
        // Every field shown is whole: the same text as in the wide line.
        for (const field of narrow.split(/ {2}/).slice(1)) assert.ok(wide.includes(field), `"${field}" is cut`);
      }
      // Narrower than the name and C: those stay (the view then cuts the line to the terminal).
      assert.equal(formatLiveLines(rows, 30)[0], 'T: media (mode 2, every 500ms)  C: 123456');
      const [sixty] = formatLiveLines(rows, 60);
      assert.doesNotMatch(sixty, /max:/);
      assert.deepEqual(formatLiveLines(rows, 200), [wide], 'a wide terminal keeps every column');
    });
  });

  describe('LiveView', () => {
    it('draws, then redraws in place: cursor up over the last drawing, each line cleared', () => {
      const tty = fakeTty();
      let n = 0;
      const view = new LiveView(tty, () => [`a ${++n}`, `b ${n}`]);
      view.draw();
      view.draw();
      assert.deepEqual(tty.writes, ['\r\x1b[2Ka 1\n\r\x1b[2Kb 1\n', '\x1b[2A\r\x1b[2Ka 2\n\r\x1b[2Kb 2\n']);
      view.stop();
      assert.equal(tty.writes.at(-1), '\x1b[2A\r\x1b[J', 'stop() erases the live lines');
      view.stop();
      assert.equal(tty.writes.length, 3, 'stop() is idempotent');
    });

    it('clears what is left when there are fewer lines; cuts lines to the terminal width', () => {
      const tty = fakeTty(8);
      let lines = ['0123456789abc', 'second', 'third'];
      const view = new LiveView(tty, () => lines);
      view.draw();
      assert.equal(tty.writes[0], '\r\x1b[2K0123456\n\r\x1b[2Ksecond\n\r\x1b[2Kthird\n');
      lines = ['µµµµµµµµµµ'];
      view.draw();
      assert.equal(tty.writes[1], '\x1b[3A\r\x1b[2Kµµµµµµµ\n\x1b[J');
      view.stop();
      assert.equal(tty.writes[2], '\x1b[1A\r\x1b[J');
    });

    it('a source that throws leaves the last drawing and no crash', () => {
      const tty = fakeTty();
      let fail = false;
      const view = new LiveView(tty, () => { if (fail) throw new Error('stats() broke'); return ['x']; });
      view.draw();
      fail = true;
      view.draw();
      assert.equal(tty.writes.length, 1);
      view.stop();
    });

    it('redraws at most 4 times a second, on an unref\'d interval that stop() clears', async () => {
      const tty = fakeTty();
      const view = new LiveView(tty, () => ['x'], 10); // asks for faster than allowed
      view.start();
      view.start(); // idempotent: still one interval
      assert.equal(view.running, true);
      await sleep(1100);
      const drawn = tty.writes.length;
      assert.ok(drawn >= 2 && drawn <= 1 + Math.ceil(1100 / LIVE_MIN_INTERVAL_MS) + 1, `${drawn} drawings in 1.1 s`);
      view.stop();
      assert.equal(view.running, false);
      const after = tty.writes.length;
      await sleep(600);
      assert.equal(tty.writes.length, after, 'nothing drawn after stop()');
    });

    it('text others print goes above the live lines: erased, written, drawn again; a partial line waits', () => {
      const tty = fakeTty();
      const err = fakeTty();
      const ownWrite = tty.write;
      const errWrite = err.write;
      const view = new LiveView(tty, () => ['live'], { shared: [err] }).start();
      tty.writes.length = 0;
      tty.write('route says hi\n');
      assert.deepEqual(tty.writes, ['\x1b[1A\r\x1b[J', 'route says hi\n', '\r\x1b[2Klive\n']);
      tty.writes.length = 0;
      err.write('rtimer: an error\n');
      assert.deepEqual(tty.writes, ['\x1b[1A\r\x1b[J', '\r\x1b[2Klive\n'], 'erased on the terminal, then drawn below');
      assert.deepEqual(err.writes, ['rtimer: an error\n']);
      tty.writes.length = 0;
      tty.write(Buffer.from('no newline yet'));
      view.draw(); // a redraw now would clear the partial line
      assert.deepEqual(tty.writes.map(String), ['\x1b[1A\r\x1b[J', 'no newline yet']);
      tty.write(' ... done\n');
      assert.deepEqual(tty.writes.slice(2), [' ... done\n', '\r\x1b[2Klive\n']);
      view.stop();
      assert.equal(tty.write, ownWrite, 'stop() puts write back');
      assert.equal(err.write, errWrite);
      tty.writes.length = 0;
      tty.write('after\n');
      assert.deepEqual(tty.writes, ['after\n']);
    });

    it('a route that never ends its line (dots) cannot freeze the view: the line is ended at the next redraw, and before the summary (issue 17)', () => {
      const tty = fakeTty();
      let n = 0;
      const view = new LiveView(tty, () => [`live ${++n}`]).start();
      tty.writes.length = 0;
      tty.write('.');
      view.draw(); // one redraw's grace, as for any partial line
      tty.write('.');
      tty.write('.');
      assert.ok(!tty.writes.some((w) => String(w).includes('live')), 'the partial line gets one interval');
      view.draw();
      const text = tty.writes.map(String).join('');
      assert.match(text, /\.\.\.\n\r\x1b\[2Klive \d+\n$/, 'the dots are ended with a newline, the lines drawn below them');
      tty.write('.');
      view.draw();
      view.draw();
      assert.equal(tty.writes.map(String).join('').match(/live \d+/g)?.length, 2, 'every later redraw happens too');
      tty.write('..');
      view.stop();
      tty.write('summary\n');
      assert.match(tty.writes.map(String).join(''), /\.\.\nsummary\n$/, 'the summary starts a line of its own');
    });

    it('does not keep the process alive', async () => {
      const { spawnSync } = await import('node:child_process');
      const code = 'import { LiveView } from "./lib/cli/live.ts"; new LiveView({ write() {} }, () => ["x"]).start(); console.log("started");';
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'started\n');
    });
  });
});
