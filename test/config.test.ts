import assert from 'node:assert/strict';
import { RTimerConfig } from '../lib/config/config.js';
import { RTimerConfigError, RTimerError } from '../lib/errors.js';
import { RTimer } from '../lib/rtimer.js';

const configError = (code: string, text?: string) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, `expected RTimerConfigError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (text !== undefined) assert.ok(err.message.includes(text), `"${err.message}" should name "${text}"`);
  return true;
};

const one = (spec: string) => new RTimerConfig().timer(spec).resolve()[0];

describe('timer parameter', () => {
  it('reads Kamailio\'s example', () => {
    const t = one('name=ta;mode=1;interval=10');
    assert.deepEqual([t.name, t.mode, t.interval, t.unit, t.intervalUs], ['ta', 1, 10, 's', 10_000_000]);
  });

  it('ignores case of keys and whitespace around keys, values and ";"', () => {
    const t = one('  NAME = Ta ;  Mode=0 ; InterVal =  5  ');
    assert.deepEqual([t.name, t.mode, t.interval], ['Ta', 0, 5]);
  });

  it('allows one trailing ";" but not an empty item', () => {
    assert.equal(one('name=a;interval=3;').interval, 3);
    assert.throws(() => one('name=a;;interval=3'), configError('ERR_RTIMER_PARAM_SYNTAX'));
    assert.throws(() => one('name=a;interval=3;;'), configError('ERR_RTIMER_PARAM_SYNTAX'));
  });

  it('strips double or single quotes from values, which may then hold ";"', () => {
    assert.equal(one('name="ta";interval=\'4\'').interval, 4);
    assert.equal(one("name='t.a-1_b'").name, 't.a-1_b');
    assert.throws(() => one('name="a;b"'), configError('ERR_RTIMER_NAME_INVALID', 'a;b'));
    assert.throws(() => one('name="ta'), configError('ERR_RTIMER_PARAM_SYNTAX'));
  });

  it('uses default_interval (120) for a missing or plain 0 interval', () => {
    assert.equal(one('name=a').interval, 120);
    assert.equal(one('name=a;interval=0').intervalUs, 120_000_000);
    const cfg = new RTimerConfig().timer('name=before').setDefaultInterval(30).timer('name=after;interval=0');
    const [before, after] = cfg.resolve();
    assert.equal(before.interval, 120, 'default_interval applies to timers declared after it');
    assert.equal(after.interval, 30);
  });

  it('refuses a bad default_interval', () => {
    for (const v of ['0', '-5', 'abc', '1.5', '']) {
      assert.throws(() => new RTimerConfig().setDefaultInterval(v), configError('ERR_RTIMER_DEFAULT_INTERVAL_INVALID'));
    }
    assert.throws(() => new RTimerConfig().setDefaultInterval(0), /Kamailio would give the timers after it an interval of 0 s/);
  });

  it('moves u, us and ms intervals off the main timer (mode 0 or none becomes 1)', () => {
    assert.equal(one('name=a;interval=100u').mode, 1);
    assert.equal(one('name=a;interval=100us;mode=0').mode, 1);
    assert.equal(one('name=a;mode=0;interval=20ms').mode, 1);
    assert.equal(one('name=a;interval=10;mode=0').mode, 0);
  });

  it('honours an explicit mode N >= 1 whatever the key order', () => {
    assert.equal(one('name=a;mode=3;interval=100u').mode, 3);
    assert.equal(one('interval=100u;name=a;mode=3').mode, 3);
  });

  it('keeps the declared spelling of a name but compares names case-insensitively', () => {
    const cfg = new RTimerConfig().timer('name=MyTimer').exec('timer=mytimer;route=R');
    assert.deepEqual(cfg.resolve().map((t) => [t.name, t.routes]), [['MyTimer', ['R']]]);
    assert.throws(() => cfg.timer('name=MYTIMER'), configError('ERR_RTIMER_TIMER_DUPLICATE', 'MYTIMER'));
  });

  const errors: [string, string, string][] = [
    ['', 'ERR_RTIMER_PARAM_EMPTY', ''],
    ['   ', 'ERR_RTIMER_PARAM_EMPTY', ''],
    ['mode=1;interval=10', 'ERR_RTIMER_NAME_MISSING', 'mode=1'],
    ['name=;interval=10', 'ERR_RTIMER_NAME_MISSING', 'name='],
    ['name=a b', 'ERR_RTIMER_NAME_INVALID', 'a b'],
    ['name="a,b"', 'ERR_RTIMER_NAME_INVALID', 'a,b'],
    ['name=a;intrval=10', 'ERR_RTIMER_PARAM_UNKNOWN_KEY', 'intrval'],
    ['name=a;name=b', 'ERR_RTIMER_PARAM_DUPLICATE_KEY', 'name'],
    ['name=a;NAME=b', 'ERR_RTIMER_PARAM_DUPLICATE_KEY', 'NAME'],
    ['name=a;interval', 'ERR_RTIMER_PARAM_NO_EQUALS', 'interval'],
    ['name=a;=5', 'ERR_RTIMER_PARAM_SYNTAX', '=5'],
    ['name=a;interval=abc', 'ERR_RTIMER_INTERVAL_INVALID', 'abc'],
    ['name=a;interval=10x', 'ERR_RTIMER_INTERVAL_INVALID', '10x'],
    ['name=a;interval=1.5', 'ERR_RTIMER_INTERVAL_INVALID', '1.5'],
    ['name=a;interval=-1', 'ERR_RTIMER_INTERVAL_INVALID', '-1'],
    ['name=a;interval=0u', 'ERR_RTIMER_INTERVAL_INVALID', '0u'],
    ['name=a;interval=5000000000', 'ERR_RTIMER_INTERVAL_RANGE', '5000000000'],
    ['name=a;mode=-1', 'ERR_RTIMER_MODE_INVALID', '-1'],
    ['name=a;mode=abc', 'ERR_RTIMER_MODE_INVALID', 'abc'],
    ['name=a;mode=1.5', 'ERR_RTIMER_MODE_INVALID', '1.5'],
  ];
  for (const [spec, code, text] of errors) {
    it(`refuses ${JSON.stringify(spec)} with ${code}`, () => {
      assert.throws(() => new RTimerConfig().timer(spec), configError(code, text));
    });
  }
});

describe('exec parameter', () => {
  it('attaches routes in declaration order, the same route twice if asked', () => {
    const cfg = new RTimerConfig()
      .exec('timer=ta;route=FIRST') // before its timer: resolved when the config is complete
      .timer('name=ta;interval=1')
      .exec(' Timer = TA ; Route = "SECOND" ;')
      .exec({ timer: 'ta', route: 'FIRST' });
    assert.deepEqual(cfg.resolve()[0].routes, ['FIRST', 'SECOND', 'FIRST']);
  });

  it('refuses an exec naming an unknown timer, when resolving', () => {
    const cfg = new RTimerConfig().timer('name=ta').exec('timer=tb;route=R');
    assert.throws(() => cfg.resolve(), configError('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 'tb'));
  });

  const errors: [string, string, string][] = [
    ['timer=ta', 'ERR_RTIMER_EXEC_ROUTE_MISSING', 'timer=ta'],
    ['timer=ta;route=', 'ERR_RTIMER_EXEC_ROUTE_MISSING', 'route='],
    ['timer=ta;route=""', 'ERR_RTIMER_EXEC_ROUTE_MISSING', 'route'],
    ['route=R', 'ERR_RTIMER_EXEC_TIMER_MISSING', 'route=R'],
    ['timer=ta;route=R;mode=1', 'ERR_RTIMER_PARAM_UNKNOWN_KEY', 'mode'],
    ['timer=ta;route', 'ERR_RTIMER_PARAM_NO_EQUALS', 'route'],
    ['', 'ERR_RTIMER_PARAM_EMPTY', ''],
  ];
  for (const [spec, code, text] of errors) {
    it(`refuses ${JSON.stringify(spec)} with ${code}`, () => {
      assert.throws(() => new RTimerConfig().exec(spec), configError(code, text));
    });
  }
});

describe('typed timer objects', () => {
  it('accept the same intervals as strings, numbers meaning seconds', () => {
    const cfg = new RTimerConfig()
      .timer({ name: 'a', interval: 10 })
      .timer({ name: 'b', interval: '250ms', mode: 'inline' })
      .timer({ name: 'c', interval: '100000u', mode: 2 });
    assert.deepEqual(cfg.resolve().map((t) => [t.mode, t.unit, t.intervalUs]),
      [[0, 's', 10_000_000], ['inline', 'ms', 250_000], [2, 'us', 100_000]]);
  });

  it('carry native options with defaults, and priority or cpus imply a thread of its own', () => {
    const [a, b] = new RTimerConfig()
      .timer({ name: 'a', interval: '1ms', mode: 'inline' })
      .timer({ name: 'b', interval: '1ms', mode: 'inline', policy: 'burst', maxBurst: 3, precision: { budget: 0.1 }, priority: 50, cpus: [0] })
      .resolve();
    assert.deepEqual([a.policy, a.maxBurst, a.precision, a.thread], ['skip', 10, null, 'shared']);
    assert.deepEqual([b.policy, b.maxBurst, b.precision, b.thread, b.realtime],
      ['burst', 3, { budget: 0.1 }, 'own', { priority: 50, schedPolicy: 'fifo', cpus: [0] }]);
  });

  it('refuse bad options, naming them', () => {
    const cfg = () => new RTimerConfig();
    assert.throws(() => cfg().timer({ name: 'a', interval: 1.5 }), configError('ERR_RTIMER_INTERVAL_INVALID', '1.5'));
    assert.throws(() => cfg().timer({ name: 'a', mode: -1 }), configError('ERR_RTIMER_MODE_INVALID', '-1'));
    assert.throws(() => cfg().timer({ name: 'a', mode: 'inline', policy: 'later' as never }), configError('ERR_RTIMER_OPTION_INVALID', 'later'));
    assert.throws(() => cfg().timer({ name: 'a', mode: 'inline', precision: { budget: 2 } }), configError('ERR_RTIMER_OPTION_INVALID', 'budget'));
    assert.throws(() => cfg().timer({ name: 'a', mode: 2, priority: 100 }), configError('ERR_RTIMER_OPTION_INVALID', 'priority'));
    assert.throws(() => cfg().timer({ name: 'a', intrval: 3 } as never), configError('ERR_RTIMER_PARAM_UNKNOWN_KEY', 'intrval'));
    assert.throws(() => cfg().timer(null as never), configError('ERR_RTIMER_PARAM_EMPTY'));
    assert.throws(() => cfg().timer({} as never), configError('ERR_RTIMER_NAME_MISSING'));
  });
});

describe('typed input that is not a configuration (issue 9 #18)', () => {
  const cfg = () => new RTimerConfig();
  const circular: Record<string, unknown> = { name: 'a' };
  circular.self = circular;
  const revoked = Proxy.revocable({ name: 'a' }, {});
  revoked.revoke();
  const throwing = { get name(): string { throw new Error('getter says no'); } };
  const cases: [string, () => unknown, string, string][] = [
    ['a BigInt interval', () => cfg().timer({ name: 'a', interval: 10n as never }), 'ERR_RTIMER_INTERVAL_INVALID', '10n'],
    ['an array interval', () => cfg().timer({ name: 'a', interval: [10] as never }), 'ERR_RTIMER_INTERVAL_INVALID', '[ 10 ]'],
    ['an array mode', () => cfg().timer({ name: 'a', mode: [2] as never }), 'ERR_RTIMER_MODE_INVALID', '[ 2 ]'],
    ['a null-prototype interval', () => cfg().timer({ name: 'a', interval: Object.create(null) }), 'ERR_RTIMER_INTERVAL_INVALID', '[Object: null prototype]'],
    ['a circular spec', () => cfg().timer(circular as never), 'ERR_RTIMER_PARAM_UNKNOWN_KEY', 'self'],
    ['a circular interval', () => cfg().timer({ name: 'a', interval: circular as never }), 'ERR_RTIMER_INTERVAL_INVALID', '[Circular'],
    ['a null-prototype spec', () => cfg().timer(Object.create(null)), 'ERR_RTIMER_NAME_MISSING', 'null prototype'],
    ['an array spec', () => cfg().timer([] as never), 'ERR_RTIMER_SPEC_INVALID', '[]'],
    ['a number spec', () => cfg().timer(5 as never), 'ERR_RTIMER_SPEC_INVALID', '5'],
    ['a revoked proxy', () => cfg().timer(revoked.proxy), 'ERR_RTIMER_SPEC_INVALID', ''],
    ['a throwing getter', () => cfg().timer(throwing), 'ERR_RTIMER_SPEC_INVALID', 'getter says no'],
    ['a number name', () => cfg().timer({ name: 5 as never }), 'ERR_RTIMER_NAME_INVALID', '5'],
    ['a BigInt option', () => cfg().timer({ name: 'a', mode: 'inline', policy: 1n as never }), 'ERR_RTIMER_OPTION_INVALID', '1n'],
    ['a sparse cpus array', () => cfg().timer({ name: 'a', mode: 'inline', cpus: [, 1] as never }), 'ERR_RTIMER_OPTION_INVALID', 'cpus'],
    ['an array precision', () => cfg().timer({ name: 'a', mode: 'inline', precision: [] as never }), 'ERR_RTIMER_OPTION_INVALID', 'precision'],
    ['an unknown precision key', () => cfg().timer({ name: 'a', mode: 'inline', precision: { budjet: 0.1 } as never }), 'ERR_RTIMER_OPTION_INVALID', 'budjet'],
    ['an exec with an unknown key', () => cfg().exec({ timer: 'a', route: 'R', mode: 1 } as never), 'ERR_RTIMER_PARAM_UNKNOWN_KEY', 'mode'],
    ['an exec with a number route', () => cfg().exec({ timer: 'a', route: 5 } as never), 'ERR_RTIMER_EXEC_INVALID', 'route'],
    ['an exec with a BigInt timer', () => cfg().exec({ timer: 1n, route: 'R' } as never), 'ERR_RTIMER_EXEC_INVALID', '1n'],
    ['an array exec', () => cfg().exec(['a', 'R'] as never), 'ERR_RTIMER_SPEC_INVALID', "'a'"],
    ['a Symbol default_interval', () => cfg().setDefaultInterval(Symbol('x') as never), 'ERR_RTIMER_DEFAULT_INTERVAL_INVALID', 'Symbol(x)'],
  ];
  for (const [what, call, code, text] of cases) {
    it(`refuses ${what} with ${code}`, () => assert.throws(call, configError(code, text)));
  }
});

describe('configuration frozen once started (issue 9 #18)', () => {
  it('freeze() makes timer(), exec() and setDefaultInterval() throw ERR_RTIMER_RUNNING; resolve() still works', () => {
    const c = new RTimerConfig().timer('name=a;interval=1').freeze();
    assert.equal(c.frozen, true);
    for (const call of [() => c.timer('name=b'), () => c.exec('timer=a;route=R'), () => c.setDefaultInterval(5)]) {
      assert.throws(call, (err: unknown) => err instanceof RTimerError && !(err instanceof RTimerConfigError) && err.code === 'ERR_RTIMER_RUNNING');
    }
    assert.deepEqual(c.resolve().map((t) => [t.name, t.routes]), [['a', []]]);
  });

  it('RTimer.start() freezes rt.config, so exec() through it cannot change a running timer', async () => {
    const rt = new RTimer({ routes: { R() {} } });
    rt.timer('name=a;interval=1').exec('timer=a;route=R');
    await rt.start();
    try {
      assert.throws(() => rt.config.exec('timer=a;route=R'), { code: 'ERR_RTIMER_RUNNING' });
      assert.throws(() => rt.config.timer({ name: 'b' }), { code: 'ERR_RTIMER_RUNNING' });
      assert.deepEqual(rt.stats().map((s) => s.name), ['a']);
      assert.deepEqual(rt.timers()[0].routes, ['R']);
    } finally {
      await rt.stop();
    }
  });

  it('resolve() hands out copies: changing one does not change the configuration', () => {
    const c = new RTimerConfig().timer({ name: 'a', mode: 'inline', interval: '1ms', cpus: [0], precision: true });
    const [t] = c.resolve();
    t.realtime.cpus!.push(1);
    t.precision!.budget = 0.5;
    t.routes.push('X');
    const [again] = c.resolve();
    assert.deepEqual([again.realtime.cpus, again.precision, again.routes], [[0], { budget: 0.05 }, []]);
  });
});

describe('native-only options on mode 0 (issue 9 #19)', () => {
  const options: [string, Record<string, unknown>][] = [
    ['policy', { policy: 'burst' }], ['maxBurst', { maxBurst: 3 }], ['precision', { precision: true }],
    ['thread', { thread: 'own' }], ['priority', { priority: 10 }], ['schedPolicy', { schedPolicy: 'rr' }],
    ['cpus', { cpus: [0] }], ['lockMemory', { lockMemory: true }], ['stagger', { stagger: true }],
  ];
  for (const [option, extra] of options) {
    it(`refuses ${option} on a mode 0 timer, naming the option and the timer`, () => {
      assert.throws(() => new RTimerConfig().timer({ name: 'shared1', interval: 5, ...extra }),
        (err: unknown) => configError('ERR_RTIMER_OPTION_UNSUPPORTED', `"${option}"`)(err) && configError('ERR_RTIMER_OPTION_UNSUPPORTED', '"shared1"')(err));
    });
  }

  it('says plainly why an option is refused on mode 0 (issue 20 #14)', () => {
    assert.throws(() => new RTimerConfig().timer({ name: 'shared1', interval: 5, policy: 'burst' }), (err: RTimerConfigError) =>
      err.message === 'option "policy" is for native timers (mode: \'inline\' or mode N >= 1); timer "shared1" is mode 0, on the shared main timer');
  });

  it('refuses a fractional number of seconds with the string to write instead (issue 20 #4)', () => {
    assert.throws(() => new RTimerConfig().timer({ name: 'half', interval: 0.5 }),
      (err: unknown) => configError('ERR_RTIMER_INTERVAL_INVALID', 'use "500ms"')(err));
    assert.throws(() => new RTimerConfig().timer({ name: 'odd', interval: 1.0000005 }),
      (err: unknown) => configError('ERR_RTIMER_INTERVAL_INVALID', 'use "1000001us"')(err));
    assert.equal(new RTimerConfig().timer({ name: 'whole', interval: 2 }).resolve()[0].intervalUs, 2e6);
  });

  it('accepts them where a native timer runs: inline, mode N, and a ms interval that leaves mode 0', () => {
    const [a, b, c] = new RTimerConfig()
      .timer({ name: 'a', mode: 'inline', interval: '1ms', policy: 'burst' })
      .timer({ name: 'b', mode: 2, interval: 1, stagger: true, lockMemory: false })
      .timer({ name: 'c', interval: '20ms', precision: true })
      .resolve();
    assert.deepEqual([a.policy, b.stagger, b.realtime, c.mode, c.precision], ['burst', true, { lockMemory: false }, 1, { budget: 0.05 }]);
  });

  it('accepts stagger on an inline timer: it spreads the inline timers of one interval (issue 10)', () => {
    const [t] = new RTimerConfig().timer({ name: 'in', mode: 'inline', interval: '1ms', stagger: true }).resolve();
    assert.equal(t.stagger, true);
  });
});

describe('mode=inline in a Kamailio string (issue 9 #23)', () => {
  it('is accepted case-insensitively, as keys are', () => {
    const cfg = new RTimerConfig().timer('name=a;mode=inline;interval=1ms').timer('name=b;mode=INLINE;interval=20ms')
      .timer({ name: 'c', interval: 1, mode: 'Inline' as never }).timer('name=d;mode= Inline ;interval=100u');
    assert.deepEqual(cfg.resolve().map((t) => t.mode), ['inline', 'inline', 'inline', 'inline']);
  });

  it('anything else is still an invalid mode', () => {
    assert.throws(() => one('name=a;mode=in line'), configError('ERR_RTIMER_MODE_INVALID', 'in line'));
  });
});
