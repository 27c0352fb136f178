/**
 * A kamailio.cfg read by the chosen Kamailio version's rules (issue 19): each case is one rule, with what
 * Kamailio 5.6.3 does as measured by test/kamailio/differential.test.ts (which runs the real binary).
 */
import assert from 'node:assert/strict';
import { parseKamailioConfig, preprocess, RTimerConfigError } from '../lib/index.js';

const K56 = { kamailioVersion: '5.6' };
const L = 'loadmodule "rtimer.so"\n';
const read = (text: string, opts: Record<string, unknown> = K56) =>
  parseKamailioConfig(text, opts).resolve().map((t) => `${t.name} ${t.mode} ${t.intervalUs}${t.routes.length ? ' ' + t.routes.join(',') : ''}`);
const refused = (code: string, ...parts: string[]) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, String(err));
  assert.equal(err.code, code, err.message);
  for (const p of parts) assert.ok(err.message.includes(p), `${err.message} should say ${p}`);
  return true;
};

describe('kamailioVersion: the version whose rules a kamailio.cfg is read by (issue 19)', () => {
  it('predefines KAMAILIO_X, _X_Y, _X_Y_Z; KAMAILIO_VERSION and OS_NAME only from 5.7', () => {
    const names = (v?: string) => [...preprocess('', v === undefined ? {} : { kamailioVersion: v }).defines.keys()];
    assert.deepEqual(names('5.6.3'), ['KAMAILIO_5', 'KAMAILIO_5_6', 'KAMAILIO_5_6_3']);
    assert.deepEqual(names('5.6'), ['KAMAILIO_5', 'KAMAILIO_5_6', 'KAMAILIO_5_6_3'], '5.6 is the 5.6.3 the differential test checks');
    assert.deepEqual(names('5.6.0'), ['KAMAILIO_5', 'KAMAILIO_5_6', 'KAMAILIO_5_6_0']);
    assert.deepEqual(names('5.5'), ['KAMAILIO_5', 'KAMAILIO_5_5', 'KAMAILIO_5_5_0']);
    assert.deepEqual(names(), ['KAMAILIO_6', 'KAMAILIO_6_0', 'KAMAILIO_6_0_0', 'KAMAILIO_VERSION', 'OS_NAME']);
    const cfg = `${L}#!ifdef KAMAILIO_5\nmodparam("rtimer", "timer", "name=k5")\n#!else\nmodparam("rtimer", "timer", "name=k6")\n#!endif\n`;
    assert.deepEqual(read(cfg), ['k5 0 120000000']);
    assert.deepEqual(read(cfg, {}), ['k6 0 120000000']);
    for (const bad of ['5', '5.6.3.1', 'x', '']) {
      assert.throws(() => parseKamailioConfig(L, { kamailioVersion: bad }), refused('ERR_RTIMER_KAMAILIO_VERSION', JSON.stringify(bad)));
    }
  });

  it('5.6 reads #!undef, #!undefine and #!tryundef as comments: the define stays; from 5.7 they remove it', () => {
    const cfg = `${L}#!define X "name=still"\n#!undef X\n#!tryundef X\nmodparam("rtimer", "timer", X)\n`;
    assert.deepEqual(read(cfg), ['still 0 120000000']);
    const warnings: string[] = [];
    parseKamailioConfig(cfg, { ...K56, onWarning: (w) => warnings.push(w.message) });
    assert.match(warnings[0], /Kamailio 5\.6\.3 has no #!undef: it reads this line as a comment/);
    assert.throws(() => read(cfg, {}), refused('ERR_RTIMER_CONFIG_SYNTAX'));
  });

  it('takes a directive after code on the same line, as the lexer does', () => {
    assert.deepEqual(read(`${L}modparam("rtimer", "timer", "name=a") #!define X\n#!ifdef X\nmodparam("rtimer", "timer", "name=b")\n#!endif\n`),
      ['a 0 120000000', 'b 0 120000000']);
    assert.deepEqual(read(`${L}modparam("rtimer", "timer", "name=a") #!ifdef NOPE\nmodparam("rtimer", "timer", "name=b")\n#!endif\n`),
      ['a 0 120000000']);
  });

  it('joins double-quoted strings first and applies #!subst to the joined string', () => {
    assert.deepEqual(read(`${L}#!subst "/ame=a/ame=b/"\nmodparam("rtimer", "timer", "na" "me=a")\n`), ['b 0 120000000']);
    assert.deepEqual(read(`${L}#!subst "/^me/ME/"\nmodparam("rtimer", "timer", "na" "me=a")\n`), ['a 0 120000000']);
    assert.deepEqual(read(`${L}#!subst "/a$/b/"\nmodparam("rtimer", "timer", "name=a" ";mode=1")\n`), ['a 1 120000000']);
    assert.deepEqual(read(`${L}modparam("rtimer", "timer", "name=a;"\n  "mode=2")\n`), ['a 2 120000000']);
    assert.deepEqual(read(`${L}#!define X "na"\nmodparam("rtimer", "timer", X "me=a")\n`), ['a 0 120000000']);
  });

  it('refuses strings Kamailio does not join: a comment between them, a define or a single-quoted string after one', () => {
    for (const arg of ['"na" /* c */ "me=a"', '"na" X', `"na" 'me=a'`]) {
      assert.throws(() => read(`${L}#!define X "me=a"\nmodparam("rtimer", "timer", ${arg})\n`), refused('ERR_RTIMER_CONFIG_SYNTAX', 'two strings'), arg);
    }
  });

  it('applies modparamx ($env evaluated) and module-name regexps, matched whole and ignoring case', () => {
    assert.deepEqual(read(`${L}modparamx("rtimer", "timer", "name=$env(RT_NAME)")\n`, { ...K56, env: { RT_NAME: 'fromenv' } }), ['fromenv 0 120000000']);
    assert.throws(() => read(`${L}modparamx("rtimer", "timer", "name=$var(x)")\n`), refused('ERR_RTIMER_CONFIG_PVAR', '$env(NAME)'));
    assert.deepEqual(read(`${L}modparam("rtim.*", "timer", "name=re")\nmodparam("RTIMER", "timer", "name=up")\n`), ['re 0 120000000', 'up 0 120000000']);
    assert.deepEqual(read(`${L}loadmodule "xlog.so"\nmodparam("xlog", "buf_size", 8192)\n`), [], 'another module\'s line');
    assert.throws(() => read(`${L}loadmodule "xlog.so"\nmodparam("rtimer|xlog", "timer", "name=two")\n`), refused('ERR_RTIMER_CONFIG_MODULE', 'xlog'));
    assert.throws(() => read(`${L}modparam("rtimerx", "timer", "name=x")\n`), refused('ERR_RTIMER_CONFIG_MODULE', 'No module matching <rtimerx>'));
  });

  it('refuses what Kamailio refuses, with its reason', () => {
    const cases: [string, string, string][] = [
      ['modparam("rtimer", "timer", "name=a")\n', 'ERR_RTIMER_CONFIG_MODULE', 'No module matching <rtimer>'],
      [`${L}loadmodule "rtimer.so"\n`, 'ERR_RTIMER_CONFIG_MODULE', 'loaded twice'],
      [`${L}modparam("rtimer", "TIMER", "name=a")\n`, 'ERR_RTIMER_CONFIG_UNKNOWN_PARAM', 'case-sensitive'],
      [`${L}modparam("rtimer", "exec", "timer=a;route=R")\nmodparam("rtimer", "timer", "name=a")\n`, 'ERR_RTIMER_EXEC_TIMER_UNKNOWN', 'timer not found'],
      [`${L}modparam("rtimer", "timer", " name=a")\n`, 'ERR_RTIMER_PARAM_SYNTAX', 'no blanks before a key'],
      [`${L}modparam("rtimer", "timer", "name=a; ")\n`, 'ERR_RTIMER_PARAM_SYNTAX', 'a key must follow the last ";"'],
      [`${L}modparam("rtimer", "timer", "name=a;mode=;interval=3")\n`, 'ERR_RTIMER_PARAM_SYNTAX', 'empty value'],
      [`${L}modparam("rtimer", "timer", "name=a")\nmodparam("rtimer", "exec", "timer=a;route=${'R'.repeat(63)}")\n`, 'ERR_RTIMER_EXEC_ROUTE_INVALID', 'at most 62'],
      [`${L}modparam("rtimer", "default_interval", "10")\n`, 'ERR_RTIMER_CONFIG_PARAM_TYPE', 'an integer'],
      [`${L}#!define X "name=a;\\\r\nmode=1"\r\nmodparam("rtimer", "timer", X)\n`, 'ERR_RTIMER_CONFIG_PREPROCESS', 'CRLF'],
      [`${L}loadmodule "ptimer.so"\n`, 'ERR_RTIMER_CONFIG_MODULE', 'Kamailio 5.6.3 has no ptimer module'],
    ];
    for (const [text, code, why] of cases) assert.throws(() => read(text), refused(code, why), text);
    // ptimer is there from 5.7 (and by default).
    assert.deepEqual(read(`${L}loadmodule "ptimer.so"\nmodparam("ptimer", "timer", "name=p")\nmodparam("ptimer", "loop", "timer=p;route=L")\n`, {}),
      ['p 1 1000000 L']);
  });

  it('accepts what Kamailio reads as meant: interval=+5, ";;", a name with "/", key case, a route of 62 characters', () => {
    assert.deepEqual(read(`${L}modparam("rtimer", "timer", "Name=a/b;;INTERVAL=+5")\nmodparam("rtimer", "exec", "timer=A/B;route=${'R'.repeat(62)}")\n`),
      [`a/b 0 5000000 ${'R'.repeat(62)}`]);
  });

  it('refuses what Kamailio reads otherwise than written, saying what Kamailio would do', () => {
    const cases: [string, string, string][] = [
      ['#!ifdef NOPE\n#!else # text\nmodparam("rtimer", "timer", "name=a")\n#!endif\n', 'ERR_RTIMER_CONFIG_MISREAD', 'as a comment'],
      ['modparam("rtimer", "timer", "name=a,mode=2")\n', 'ERR_RTIMER_CONFIG_MISREAD', 'would ignore ",mode=2"'],
      ['modparam("rtimer", "timer", "name=a;mode=3;interval=10u")\n', 'ERR_RTIMER_CONFIG_MISREAD', 'ignores mode=3'],
      ['modparam("rtimer", "timer", "name=a")\nmodparam("rtimer", "exec", "timer=a")\n', 'ERR_RTIMER_EXEC_ROUTE_MISSING', 'whole text as a route name'],
      ['modparam("rtimer", "timer", "name=a;interval=0u")\n', 'ERR_RTIMER_INTERVAL_INVALID', '0u'],
      ['modparam("rtimer", "default_interval", 0)\n', 'ERR_RTIMER_DEFAULT_INTERVAL_INVALID', '0'],
      ['modparam("rtimer", "timer", "name=a;name=b")\n', 'ERR_RTIMER_PARAM_DUPLICATE_KEY', 'keep the first name'],
    ];
    for (const [text, code, why] of cases) assert.throws(() => read(L + text), refused(code, why), text);
    assert.deepEqual(read(`${L}modparam("rtimer", "timer", "name=a;interval=10u;mode=3")\n`), ['a 3 10']);
  });

  it('keeps the API lenient: exec before its timer, blanks around keys', () => {
    const config = parseKamailioConfig(L, K56).exec('timer=a;route=R').timer(' name = a ; interval = 10u ; ');
    assert.deepEqual(config.resolve().map((t) => [t.name, t.mode, t.intervalUs, t.routes]), [['a', 1, 10, ['R']]]);
  });
});

describe('rtimer check --kamailio (issue 19)', () => {
  it('passes the version to the reader and refuses one that is not X.Y[.Z] as a usage error', async () => {
    const { parseCli, CliUsageError } = await import('../lib/cli/args.js');
    const { check } = await import('../lib/cli/commands.js');
    const cmd = parseCli(['check', 'k.cfg', '--kamailio', '5.6']);
    assert.equal(cmd.command === 'check' && cmd.kamailioVersion, '5.6');
    assert.equal((parseCli(['check', 'k.cfg']) as { kamailioVersion?: string }).kamailioVersion, undefined);
    for (const bad of ['5', 'v5.6', '5.6.3.1']) assert.throws(() => parseCli(['check', 'k.cfg', '--kamailio', bad]), CliUsageError, bad);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-kver-'));
    try {
      const file = join(dir, 'k.cfg');
      writeFileSync(file, `${L}#!ifdef KAMAILIO_5\nmodparam("rtimer", "timer", "name=k5")\n#!else\nmodparam("rtimer", "timer", "name=other")\n#!endif\n`);
      const names = async (v?: string) => {
        let out = '';
        await check(file, undefined, { out: (t: string) => { out += t; }, err: () => {} } as never, { kamailioVersion: v });
        return JSON.parse(out).timers.map((t: { name: string }) => t.name);
      };
      assert.deepEqual(await names('5.6'), ['k5']);
      assert.deepEqual(await names(), ['other']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
