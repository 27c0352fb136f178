// Issue 11: Kamailio ptimer's parameters, start/tick/end routes and ntasks/nslices in the configuration.
import assert from 'node:assert/strict';
import { RTimerConfig } from '../lib/config/config.js';
import { parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
import { toKamailioExecStrings, toKamailioString, toPtimerStrings } from '../lib/config/kamailio-string.js';
import { slicesTasks } from '../lib/config/tasks.js';
import { RTimerConfigError } from '../lib/errors.js';
import { withModules } from './support/run.js';


/** An RTimerConfigError with this code, at this line (when given), naming `text` (when given). */
const fails = (code: string, line?: number, text?: string) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, `expected RTimerConfigError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (line !== undefined) {
    assert.equal(err.line, line, err.message);
    assert.ok(err.message.startsWith(`${err.file ?? '<config>'}:${line}: `), err.message);
  }
  if (text !== undefined) assert.ok(err.message.includes(text), `"${err.message}" should name "${text}"`);
  return true;
};

const pt = (...lines: string[]) => parseKamailioConfig(withModules(lines.join('\n'))).resolve();
const mp = (param: string, value: string | number) =>
  `modparam("ptimer", "${param}", ${typeof value === 'number' ? value : `"${value}"`})`;

describe('ptimer parameters (issue 11)', () => {
  it('reads ptimer\'s README example: start, loop and end routes, defaults for the rest', () => {
    const [t] = pt('loadmodule "ptimer.so"', mp('timer', 'name=t1;interval=100ms'), mp('start', 'timer=t1;route=TIMER_START'),
      mp('loop', 'timer=t1;route=TIMER_LOOP'), mp('end', 'timer=t1;route=TIMER_END'));
    assert.deepEqual({ ...t, source: undefined }, {
      name: 't1', mode: 1, interval: 100, unit: 'ms', intervalUs: 100_000, routes: ['TIMER_LOOP'], start: 'TIMER_START',
      end: 'TIMER_END', ntasks: 0, nslices: 1, type: 0, policy: 'skip', maxBurst: 10, precision: null, thread: 'shared',
      realtime: {}, stagger: false, source: undefined,
    });
    assert.equal(t.source?.line, 2);
  });

  it('reads every timer key; nworkers gives that many dedicated processes (mode N)', () => {
    const [t] = pt(mp('timer', 'name=shaper;type=2;interval=100ms;nworkers=8;ntasks=1000;nslices=80'), mp('loop', 'timer=shaper;route=L'));
    assert.deepEqual([t.type, t.mode, t.interval, t.unit, t.ntasks, t.nslices, t.start, t.end],
      [2, 8, 100, 'ms', 1000, 80, undefined, undefined]);
  });

  it('applies default_type (0), default_interval (1s) and default_nworkers (1) to the timers declared after them', () => {
    const timers = pt(mp('timer', 'name=a'), mp('loop', 'timer=a;route=R'),
      mp('default_type', 3), mp('default_interval', '250ms'), mp('default_nworkers', 4),
      mp('timer', 'name=b'), mp('loop', 'timer=b;route=R'),
      mp('timer', 'name=c;type=1;interval=2;nworkers=2'), mp('loop', 'timer=c;route=R'));
    assert.deepEqual(timers.map((t) => [t.name, t.type, t.interval, t.unit, t.mode]),
      [['a', 0, 1, 's', 1], ['b', 3, 250, 'ms', 4], ['c', 1, 2, 's', 2]]);
  });

  it('reads intervals as ptimer.c does: s, ms, us, bare seconds, and m / u for ms / us', () => {
    const cases: [string, number, string][] = [['10', 10, 's'], ['10s', 10, 's'], ['10ms', 10, 'ms'], ['10us', 10, 'us'],
      ['10m', 10, 'ms'], ['10u', 10, 'us'], ['4294967295', 4294967295, 's']];
    for (const [text, value, unit] of cases) {
      const [t] = pt(mp('timer', `name=t;interval=${text}`), mp('loop', 'timer=t;route=R'));
      assert.deepEqual([t.interval, t.unit], [value, unit], text);
    }
    for (const bad of ['0', '0ms', '', 'abc', '10MS', '10S', '1.5s', '10ss', '-1', '10 ms']) {
      assert.throws(() => pt('', mp('timer', `name=t;interval=${bad}`)), fails('ERR_RTIMER_INTERVAL_INVALID', 2, `"${bad}"`), bad);
    }
    assert.throws(() => pt(mp('timer', 'name=t;interval=4294967296')), fails('ERR_RTIMER_INTERVAL_RANGE', 1, '4294967296'));
    for (const bad of ['0', '0s', 'x', '']) {
      assert.throws(() => pt('', mp('default_interval', bad)), fails('ERR_RTIMER_DEFAULT_INTERVAL_INVALID', 2), bad);
    }
  });

  it('refuses a type outside 0..3, nworkers 0 (or above 1024), nslices 0 and ntasks above 2^32-1, naming them', () => {
    for (const bad of ['4', '-1', 'x', '', '01a']) {
      assert.throws(() => pt('\n', mp('timer', `name=t;type=${bad}`)), fails('ERR_RTIMER_TYPE_INVALID', 3, `"${bad}"`), bad);
    }
    assert.throws(() => pt(mp('default_type', 4)), fails('ERR_RTIMER_TYPE_INVALID', 1, 'default_type "4"'));
    assert.throws(() => pt(mp('default_type', -1)), fails('ERR_RTIMER_TYPE_INVALID', 1, '"-1"'));
    for (const bad of ['0', '1025', 'two', '']) {
      assert.throws(() => pt(mp('timer', `name=t;nworkers=${bad}`)), fails('ERR_RTIMER_NWORKERS_INVALID', 1, `"${bad}"`), bad);
    }
    assert.throws(() => pt(mp('default_nworkers', 0)), fails('ERR_RTIMER_NWORKERS_INVALID', 1, 'default_nworkers "0"'));
    assert.throws(() => pt(mp('timer', 'name=t;nslices=0')), fails('ERR_RTIMER_NSLICES_INVALID', 1, 'nslices "0"'));
    assert.throws(() => pt(mp('timer', 'name=t;ntasks=4294967296')), fails('ERR_RTIMER_NTASKS_INVALID', 1, '4294967296'));
    assert.throws(() => pt(mp('timer', 'name=t;ntasks=-1')), fails('ERR_RTIMER_NTASKS_INVALID', 1, '-1'));
    const [t] = pt(mp('timer', 'name=t;ntasks=4294967295;nslices=4294967295'), mp('loop', 'timer=t;route=R'));
    assert.deepEqual([t.ntasks, t.nslices], [4294967295, 4294967295]);
  });

  it('requires exactly one loop route per timer and allows at most one start and one end', () => {
    assert.throws(() => pt('', mp('timer', 'name=t1'), mp('start', 'timer=t1;route=S')),
      fails('ERR_RTIMER_LOOP_MISSING', 2, '"t1"'));
    for (const hook of ['start', 'loop', 'end']) {
      const lines = [mp('timer', 'name=t1'), mp(hook, 'timer=t1;route=A'), mp(hook, 'timer=t1;route=B')];
      if (hook !== 'loop') lines.push(mp('loop', 'timer=t1;route=L'));
      assert.throws(() => pt(...lines), fails('ERR_RTIMER_EXEC_DUPLICATE', 3, `${hook} route "A" (line 2)`), hook);
    }
  });

  it('takes a route parameter only after its timer, by its exact name, among the ptimer timers', () => {
    assert.throws(() => pt(mp('loop', 'timer=t1;route=L'), mp('timer', 'name=t1')), fails('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 1, '"t1"'));
    assert.throws(() => pt(mp('timer', 'name=t1'), mp('loop', 'timer=T1;route=L')), fails('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 2, '"T1"'));
    assert.throws(() => pt('modparam("rtimer", "timer", "name=r1")', mp('loop', 'timer=r1;route=L')),
      fails('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 2, '"r1"'));
    // And the other way round: rtimer's exec reaches rtimer timers only.
    assert.throws(() => pt(mp('timer', 'name=p1'), mp('loop', 'timer=p1;route=L'), 'modparam("rtimer", "exec", "timer=p1;route=X")'),
      fails('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 3, 'ptimer timer'));
  });

  it('refuses route parameters without a timer or a route, and unknown keys', () => {
    assert.throws(() => pt(mp('timer', 'name=t'), mp('loop', 'route=L')), fails('ERR_RTIMER_EXEC_TIMER_MISSING', 2));
    assert.throws(() => pt(mp('timer', 'name=t'), mp('end', 'timer=t;route=')), fails('ERR_RTIMER_EXEC_ROUTE_MISSING', 2));
    assert.throws(() => pt(mp('timer', 'name=t'), mp('loop', 'timer=t;route=L;x=1')), fails('ERR_RTIMER_PARAM_UNKNOWN_KEY', 2, '"x"'));
    assert.throws(() => pt(mp('timer', 'name=t;nworker=2')), fails('ERR_RTIMER_PARAM_UNKNOWN_KEY', 1, '"nworker"'));
    assert.throws(() => pt(mp('timer', 'interval=1s')), fails('ERR_RTIMER_NAME_MISSING', 1));
  });

  it('refuses an unknown parameter and a value of the wrong type, as Kamailio\'s modparam does', () => {
    assert.throws(() => pt('', mp('exec', 'timer=t;route=R')), fails('ERR_RTIMER_CONFIG_UNKNOWN_PARAM', 2, '"exec"'));
    assert.throws(() => pt(mp('default_type', '1')), fails('ERR_RTIMER_CONFIG_PARAM_TYPE', 1, 'an integer'));
    assert.throws(() => pt(mp('default_nworkers', '2')), fails('ERR_RTIMER_CONFIG_PARAM_TYPE', 1, 'an integer'));
    assert.throws(() => pt(mp('default_interval', 5)), fails('ERR_RTIMER_CONFIG_PARAM_TYPE', 1, 'a quoted string'));
    assert.throws(() => pt(mp('timer', 5)), fails('ERR_RTIMER_CONFIG_PARAM_TYPE', 1));
    assert.throws(() => pt('modparam("ptimer", "timer")'), fails('ERR_RTIMER_CONFIG_SYNTAX', 1, '3 arguments'));
  });

  it('shares the timer names with rtimer: the same name in both modules is a duplicate', () => {
    assert.throws(() => pt('modparam("rtimer", "timer", "name=t1")', mp('timer', 'name=T1')), fails('ERR_RTIMER_TIMER_DUPLICATE', 2, 'T1'));
    assert.throws(() => pt(mp('timer', 'name=t1'), mp('timer', 'name=t1')), fails('ERR_RTIMER_TIMER_DUPLICATE', 2));
  });

  it('slices on types 2 and 3 and on rtimer timers; types 0 and 1 keep ntasks whole, as ptimer does', () => {
    const timers = pt(...[0, 1, 2, 3].flatMap((type) => [mp('timer', `name=t${type};type=${type};ntasks=10;nslices=5`),
      mp('loop', `timer=t${type};route=R`)]), 'modparam("rtimer", "timer", "name=r;ntasks=10;nslices=5")');
    assert.deepEqual(timers.map((t) => [t.name, t.ntasks, t.nslices, slicesTasks(t)]),
      [['t0', 10, 5, false], ['t1', 10, 5, false], ['t2', 10, 5, true], ['t3', 10, 5, true], ['r', 10, 5, true]]);
  });
});

describe('exec on: start | tick | end, ntasks and nslices (issue 11)', () => {
  it('attaches start and end routes besides the tick routes, in every mode', () => {
    for (const mode of [0, 2, 'inline'] as const) {
      const [t] = new RTimerConfig().exec({ timer: 'ta', route: 'S', on: 'start' }).timer({ name: 'ta', mode, interval: 1 })
        .exec({ timer: 'ta', route: 'T1' }).exec({ timer: 'TA', route: 'E', on: 'end' }).exec({ timer: 'ta', route: 'T2', on: 'tick' })
        .exec('timer=ta;route=T3').resolve();
      assert.deepEqual([t.start, t.routes, t.end], ['S', ['T1', 'T2', 'T3'], 'E'], String(mode));
    }
    const [plain] = new RTimerConfig().timer('name=ta').exec('timer=ta;route=R').resolve();
    assert.ok(!('start' in plain) && !('end' in plain), 'no start or end unless given');
  });

  it('refuses a second start or end route for a timer, and an unknown on', () => {
    for (const on of ['start', 'end'] as const) {
      const config = new RTimerConfig().timer('name=ta').exec({ timer: 'ta', route: 'A', on }, { line: 3 })
        .exec({ timer: 'ta', route: 'B', on }, { line: 7 });
      assert.throws(() => config.resolve(), fails('ERR_RTIMER_EXEC_DUPLICATE', 7, `${on} route "A" (line 3)`));
    }
    for (const on of ['loop', 'START', '', 1, null]) {
      assert.throws(() => new RTimerConfig().exec({ timer: 'ta', route: 'R', on } as never), fails('ERR_RTIMER_EXEC_INVALID', undefined, '"on"'));
    }
    assert.throws(() => new RTimerConfig().exec('timer=ta;route=R;on=start'), fails('ERR_RTIMER_PARAM_UNKNOWN_KEY', undefined, '"on"'));
  });

  it('takes ntasks and nslices typed and in rtimer strings, defaults 0 and 1', () => {
    const [a, b, c] = new RTimerConfig().timer({ name: 'a', ntasks: 1000, nslices: 80, mode: 8 })
      .timer('name=b;ntasks=7;nslices=3').timer('name=c').resolve();
    assert.deepEqual([a.ntasks, a.nslices, b.ntasks, b.nslices, c.ntasks, c.nslices], [1000, 80, 7, 3, 0, 1]);
  });

  it('refuses nslices < 1, ntasks < 0 and either above 2^32-1 or not an integer, naming the value', () => {
    const bad: [Record<string, unknown>, string, string][] = [
      [{ nslices: 0 }, 'ERR_RTIMER_NSLICES_INVALID', 'nslices 0'], [{ nslices: 2 ** 32 }, 'ERR_RTIMER_NSLICES_INVALID', '4294967296'],
      [{ ntasks: -1 }, 'ERR_RTIMER_NTASKS_INVALID', 'ntasks -1'], [{ ntasks: 2 ** 32 }, 'ERR_RTIMER_NTASKS_INVALID', '4294967296'],
      [{ ntasks: 1.5 }, 'ERR_RTIMER_NTASKS_INVALID', '1.5'], [{ nslices: NaN }, 'ERR_RTIMER_NSLICES_INVALID', 'NaN'],
      [{ ntasks: '12x' }, 'ERR_RTIMER_NTASKS_INVALID', '12x'], [{ nslices: true }, 'ERR_RTIMER_NSLICES_INVALID', 'true'],
    ];
    for (const [extra, code, text] of bad) {
      assert.throws(() => new RTimerConfig().timer({ name: 'ta', ...extra } as never), fails(code, undefined, text), JSON.stringify(extra));
    }
    assert.throws(() => new RTimerConfig().timer('name=ta;nslices=0'), fails('ERR_RTIMER_NSLICES_INVALID', undefined, '"0"'));
    assert.throws(() => new RTimerConfig().timer('name=ta;ntasks=4294967296'), fails('ERR_RTIMER_NTASKS_INVALID', undefined, '4294967296'));
    const [max] = new RTimerConfig().timer({ name: 'ta', ntasks: 2 ** 32 - 1, nslices: 2 ** 32 - 1 }).resolve();
    assert.deepEqual([max.ntasks, max.nslices], [2 ** 32 - 1, 2 ** 32 - 1]);
  });
});

describe('printers with the ptimer keys (issue 11)', () => {
  it('prints ntasks and nslices in rtimer strings when not 0 and 1', () => {
    const [t] = new RTimerConfig().timer({ name: 'ta', mode: 2, interval: '20ms', ntasks: 9, nslices: 4 }).resolve();
    assert.equal(toKamailioString(t), 'name=ta;interval=20ms;mode=2;ntasks=9;nslices=4');
    assert.equal(toKamailioString(new RTimerConfig().timer('name=tb').resolve()[0]), 'name=tb;interval=120;mode=0');
  });

  it('prints a ptimer timer as ptimer parameters, and refuses it in rtimer\'s syntax', () => {
    const cfg = [mp('timer', 'name=shaper;type=2;interval=100ms;nworkers=8;ntasks=1000;nslices=80'),
      mp('start', 'timer=shaper;route=S'), mp('loop', 'timer=shaper;route=L'), mp('end', 'timer=shaper;route=E')];
    const [t] = pt(...cfg);
    assert.deepEqual(toPtimerStrings(t), {
      timer: 'name=shaper;type=2;interval=100ms;nworkers=8;ntasks=1000;nslices=80',
      start: 'timer=shaper;route=S', loop: 'timer=shaper;route=L', end: 'timer=shaper;route=E',
    });
    assert.throws(() => toKamailioString(t), fails('ERR_RTIMER_NO_STRING_FORM', undefined, 'ptimer type 2'));
    assert.throws(() => toKamailioExecStrings(t), fails('ERR_RTIMER_NO_STRING_FORM', undefined, 'start route'));
  });

  it('refuses in ptimer\'s syntax what ptimer cannot run: mode 0 or inline, not exactly one tick route', () => {
    const config = new RTimerConfig().timer({ name: 'm0', interval: 1 }).exec('timer=m0;route=R')
      .timer({ name: 'two', mode: 2 }).exec('timer=two;route=A').exec('timer=two;route=B')
      .timer({ name: 'in', mode: 'inline' }).exec('timer=in;route=R');
    for (const t of config.resolve()) assert.throws(() => toPtimerStrings(t), fails('ERR_RTIMER_NO_STRING_FORM', undefined, t.name));
    const [rt] = new RTimerConfig().timer({ name: 'r', mode: 3, interval: '5ms' }).exec('timer=r;route=R').resolve();
    assert.equal(toPtimerStrings(rt).timer, 'name=r;type=3;interval=5ms;nworkers=3', 'an rtimer timer runs as a synced slice timer');
  });
});

describe('public surface for issue 11', () => {
  it('exports the preprocessor, the ptimer printer and slicesTasks; RTimer.exec takes on', async () => {
    const api = await import('../lib/index.js');
    for (const name of ['preprocess', 'preprocessFile', 'toPtimerStrings', 'slicesTasks'] as const) {
      assert.equal(typeof api[name], 'function', name);
    }
    assert.equal(api.MAX_TASKS, 2 ** 32 - 1);
    const r = api.preprocess('#!ifdef X\nA\n#!else\nB\n#!endif\n', { defines: ['X'] });
    assert.deepEqual(r.lines.map((l) => [l.text, l.line]), [['A', 2]]);
    const rt = new api.RTimer({ routes: {} });
    rt.timer({ name: 'ta', interval: 1, ntasks: 4, nslices: 2 }).exec({ timer: 'ta', route: 'S', on: 'start' })
      .exec({ timer: 'ta', route: 'T' }).exec({ timer: 'ta', route: 'E', on: 'end' });
    assert.deepEqual(rt.timers().map((t) => [t.start, t.routes, t.end, t.ntasks, t.nslices]), [['S', ['T'], 'E', 4, 2]]);
  });
});
