import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadKamailioConfig, parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
import { RTimerConfig } from '../lib/config/config.js';
import { MAX_CONFIG_BYTES } from '../lib/config/config-file.js';
import { RTimerConfigError } from '../lib/errors.js';
import { withModules } from './support/run.js';


const CFG = `#!KAMAILIO
#!define WITH_RTIMER
loadmodule "rtimer.so" loadmodule "tm.so"
modparam("tm", "fr_timer", 30000)
# modparam("rtimer", "timer", "name=commented;interval=1")
// modparam("rtimer", "timer", "name=commented2;interval=1")
/* modparam("rtimer", "timer", "name=blocked;interval=1")
   modparam("rtimer", "timer", "name=blocked2;interval=1") */
modparam("rtimer", "timer", "name=ta;mode=1;interval=10")
modparam("rtimer", "exec", "timer=ta;route=LATE")
modparam('rtimer', 'exec', 'timer=ta;route=ONTIMER')
modparam("rtimer", "default_interval", 60)
modparam( "RTIMER" , "timer" , "name=tb" )  # spaces and a trailing comment
modparam("rtimer", "exec", "timer=TB;route=ksr_rtimer")
route[ONTIMER] { xlog("timer\\n"); }
`;

const where = (code: string, line: number, text?: string) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, String(err));
  assert.equal(err.code, code, err.message);
  assert.equal(err.line, line, err.message);
  if (text) assert.ok(err.message.includes(text), err.message);
  assert.ok(err.message.startsWith(`${err.file ?? '<config>'}:${line}: `), err.message);
  return true;
};

describe('loadKamailioConfig', () => {
  it('reads rtimer modparams, skipping comments and other modules', () => {
    const timers = parseKamailioConfig(withModules(CFG)).resolve();
    assert.deepEqual(timers.map((t) => [t.name, t.mode, t.interval, t.routes]), [
      ['ta', 1, 10, ['LATE', 'ONTIMER']],
      ['tb', 0, 60, ['ksr_rtimer']],
    ]);
    assert.equal(timers[0].source?.line, 9);
  });

  it('reads a file by path or file URL and puts the file name in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-cfg-'));
    const file = join(dir, 'kamailio.cfg');
    writeFileSync(file, CFG);
    assert.equal(loadKamailioConfig(file).resolve().length, 2);
    assert.equal(loadKamailioConfig(pathToFileURL(file)).resolve().length, 2);
    writeFileSync(file, 'loadmodule "rtimer.so"\n\nmodparam("rtimer", "timer", "name=ta;intrval=10")\n');
    assert.throws(() => loadKamailioConfig(file), (err: unknown) =>
      err instanceof RTimerConfigError && err.message === `${file}:3: unknown key "intrval" in "name=ta;intrval=10" (expected name, interval, mode, ntasks, nslices, cluster; Kamailio would ignore it)`);
    assert.throws(() => loadKamailioConfig(join(dir, 'missing.cfg')), { code: 'ERR_RTIMER_CONFIG_READ' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports errors with the line of the offending parameter', () => {
    assert.throws(() => parseKamailioConfig(withModules('\n\nmodparam("rtimer", "timer", "name=ta;intrval=10")\n')),
      where('ERR_RTIMER_PARAM_UNKNOWN_KEY', 3, 'intrval'));
    assert.throws(() => parseKamailioConfig(withModules('modparam("rtimer", "timer", "name=a")\n/*\n*/\nmodparam("rtimer", "timer", "name=A")')),
      where('ERR_RTIMER_TIMER_DUPLICATE', 4, 'A'));
    assert.throws(() => parseKamailioConfig(withModules('modparam("rtimer", "timer", "name=a")\n\nmodparam("rtimer", "exec", "timer=b;route=R")\n')),
      where('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 3, '"b"'));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("rtimer", "timers", "name=a")')),
      where('ERR_RTIMER_CONFIG_UNKNOWN_PARAM', 2, 'timers'));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("rtimer", "default_interval", 0)')),
      where('ERR_RTIMER_DEFAULT_INTERVAL_INVALID', 2));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("rtimer", "default_interval", "10")')),
      where('ERR_RTIMER_CONFIG_PARAM_TYPE', 2));
    assert.throws(() => parseKamailioConfig(withModules('\n\nmodparam("rtimer", "timer")')), where('ERR_RTIMER_CONFIG_SYNTAX', 3));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("rtimer", "timer", "name=a)\n')), where('ERR_RTIMER_CONFIG_SYNTAX', 2, 'unterminated'));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("rtimer" "timer" "name=a")')), where('ERR_RTIMER_CONFIG_SYNTAX', 2));
    assert.throws(() => parseKamailioConfig(withModules('\n/* never closed\nmodparam("rtimer", "timer", "name=a")')), where('ERR_RTIMER_CONFIG_SYNTAX', 2, '/*'));
  });

  it('handles a string spanning lines and escaped quotes', () => {
    const cfg = parseKamailioConfig(withModules('modparam("x", "y", "a\\"b")\nmodparam("rtimer", "timer",\n  "name=ta;\n interval=3")'));
    // A string over several lines is read where it ends.
    assert.deepEqual(cfg.resolve().map((t) => [t.name, t.interval, t.source?.line]), [['ta', 3, 4]]);
  });

  it('reads values as cfg.lex does: joined double-quoted strings, raw single-quoted ones, numbers in any base (issue 11)', () => {
    const cfg = String.raw`modparam("acc", "log_extra",
	"src_user=$fU;"
	"dst_user=$rU")
modparam("rtimer", "timer", "name=ta;"  "interval=5")
modparam('rtimer', 'exec', 'timer=ta;route=A\nB')
modparam("rtimer", "exec", "timer=ta;route=C\x41\
D")
modparam("rtimer", "default_interval", 0x10)
modparam("rtimer", "timer", "name=tb")
modparam("rtimer", "default_interval", 010)
modparam("rtimer", "timer", "name=tc")
modparam("rtimer", "default_interval", 11b)
modparam("rtimer", "timer", "name=td")
modparam("ptimer", "default_nworkers", yes)
modparam("ptimer", "default_type", off)
modparam("ptimer", "timer", "name=pa")
modparam("ptimer", "loop", "timer=pa;route=L")
`;
    const timers = parseKamailioConfig(withModules(cfg)).resolve();
    assert.deepEqual(timers.map((t) => [t.name, t.interval, t.mode, t.routes, t.source?.line]), [
      ['ta', 5, 0, ['A\\nB', 'CAD'], 4], ['tb', 16, 0, [], 9], ['tc', 8, 0, [], 11], ['td', 3, 0, [], 13], ['pa', 1, 1, ['L'], 16],
    ]);
    assert.equal(timers[4].type, 0);
    // 09 is no number for cfg.lex (a NUM_ID), and "a" 'b' are two strings.
    assert.throws(() => parseKamailioConfig(withModules('modparam("rtimer", "default_interval", 09)')), where('ERR_RTIMER_CONFIG_SYNTAX', 1));
    assert.throws(() => parseKamailioConfig(withModules(`modparam("rtimer", "timer", "name=a" 'x')`)), where('ERR_RTIMER_CONFIG_SYNTAX', 1));
    assert.throws(() => parseKamailioConfig(withModules('\nmodparam("tm", "fr_timer" "x")')), where('ERR_RTIMER_CONFIG_SYNTAX', 2, '3 arguments'));
  });

  it('gives an empty configuration for a file without rtimer lines', () => {
    assert.deepEqual(parseKamailioConfig(withModules('loadmodule "tm.so"\nroute { exit; }\n')).resolve(), []);
  });
});

describe('a path and a text are told apart (issue 9 #16)', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cfg-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loadKamailioConfig reads a path with a parenthesis as a file', () => {
    const file = join(dir, 'kam(1).cfg');
    writeFileSync(file, withModules('modparam("rtimer", "timer", "name=paren;interval=2")\n'));
    assert.deepEqual(loadKamailioConfig(file).resolve().map((t) => t.name), ['paren']);
  });

  it('a missing file is an error naming the path, whatever the path looks like', () => {
    for (const name of ['gone(2).cfg', 'missing.cfg']) {
      const file = join(dir, name);
      assert.throws(() => loadKamailioConfig(file), (err: unknown) => err instanceof RTimerConfigError &&
        err.code === 'ERR_RTIMER_CONFIG_READ' && err.file === file && err.message.includes(`"${file}"`));
    }
  });

  it('loadKamailioConfig never parses its argument as text, and says where text goes', () => {
    assert.throws(() => loadKamailioConfig('modparam("rtimer", "timer", "name=a")\n'),
      (err: unknown) => err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_CONFIG_READ' && /parseKamailioConfig/.test(err.message));
    for (const bad of ['', 5, null, new URL('http://example.com/kamailio.cfg')]) {
      assert.throws(() => loadKamailioConfig(bad as never), { code: 'ERR_RTIMER_CONFIG_PATH' });
    }
  });

  it('parseKamailioConfig takes text only, with { file, into } or the 0.1 positional file', () => {
    const bad = 'modparam("rtimer", "timer", "name=a;intrval=1")';
    assert.throws(() => parseKamailioConfig(bad, { file: 'my.cfg' }), (err: unknown) =>
      err instanceof RTimerConfigError && err.file === 'my.cfg' && err.message.startsWith('my.cfg:1: '));
    assert.throws(() => parseKamailioConfig(bad, 'old.cfg'), (err: unknown) => err instanceof RTimerConfigError && err.file === 'old.cfg');
    const into = new RTimerConfig().timer('name=api;interval=1');
    parseKamailioConfig(withModules('modparam("rtimer", "timer", "name=cfg")'), { into });
    assert.deepEqual(into.resolve().map((t) => t.name), ['api', 'cfg']);
    assert.throws(() => parseKamailioConfig(Buffer.from('x') as never), { code: 'ERR_RTIMER_CONFIG_TEXT' });
  });

  it('refuses NUL bytes and invalid UTF-8 with the line; a BOM is fine', () => {
    const ok = 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=a")\n';
    const nul = join(dir, 'nul.cfg');
    writeFileSync(nul, `${ok}# comment\nmodparam("rtimer", "timer", "name=b\0")\n`);
    assert.throws(() => loadKamailioConfig(nul), where('ERR_RTIMER_CONFIG_ENCODING', 3, 'NUL'));
    const latin1 = join(dir, 'latin1.cfg');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${ok}# caf`), Buffer.from([0xe9]), Buffer.from('\n' + ok)]));
    assert.throws(() => loadKamailioConfig(latin1), where('ERR_RTIMER_CONFIG_ENCODING', 2, 'UTF-8'));
    assert.throws(() => parseKamailioConfig(withModules(`\n\n\0${ok}`)), where('ERR_RTIMER_CONFIG_ENCODING', 3, 'NUL'));
    assert.throws(() => parseKamailioConfig(withModules(`${ok}# \uD800\n`)), where('ERR_RTIMER_CONFIG_ENCODING', 2));
    const bom = join(dir, 'bom.cfg');
    writeFileSync(bom, '\uFEFF' + ok);
    assert.deepEqual(loadKamailioConfig(bom).resolve().map((t) => t.name), ['a']);
  });
});

describe('kamailio.cfg through Kamailio\'s preprocessor (issue 11)', () => {
  const FIXTURE = fileURLToPath(new URL('./fixtures/kamailio/kamailio.cfg', import.meta.url));
  const summary = (config: RTimerConfig) => config.resolve().map((t) => {
    const extra = [t.start && `start=${t.start}`, t.end && `end=${t.end}`, t.type !== undefined && `type=${t.type}`].filter(Boolean);
    return `${t.name} ${t.mode} ${t.interval}${t.unit} ${t.routes.join(',')}${extra.length ? ` ${extra.join(' ')}` : ''}`;
  });
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-pre-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads only the live #!ifdef branches of the fixture, under each define set', () => {
    const cases: [string[], string[]][] = [
      [[], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC']],
      [['WITH_MYSQL'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 1 30s DBSYNC']],
      [['WITH_MYSQL', 'WITH_AUTH'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 1 30s DBSYNC', 'authcache 1 300s AUTHCACHE']],
      [['WITH_AUTH', 'WITH_NAT'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC', 'rtpping 0 15s RTPPING']],
      [['WITH_NAT', 'WITH_RTPENGINE'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC', 'rtpping 0 20s RTPPING']],
      [['WITH_PTIMER'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC',
        'shaper 8 100ms SHAPER_LOOP start=SHAPER_START type=2']],
      [['WITH_PTIMER', 'WITH_DEBUG'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC', 'debugstats 0 1s DEBUGSTATS',
        'shaper 8 100ms SHAPER_LOOP start=SHAPER_START end=SHAPER_END type=2']],
      [['WITH_RTIMER_EXTRA'], ['housekeeping 1 60s HOUSEKEEPING', 'dbsync 0 120s FILESYNC', 'extra 0 45s EXTRA']],
    ];
    for (const [defines, expected] of cases) {
      assert.deepEqual(summary(loadKamailioConfig(FIXTURE, { defines })), expected, defines.join(' '));
    }
    const [shaper] = loadKamailioConfig(FIXTURE, { defines: { WITH_PTIMER: true } }).resolve().filter((t) => t.name === 'shaper');
    assert.deepEqual([shaper.ntasks, shaper.nslices, shaper.source?.file, shaper.source?.line], [1000, 80, FIXTURE, 195]);
  });

  it('names the included file and its line in errors from included lines', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'timers.cfg'), '# timers\n\nmodparam("ptimer", "timer", "name=p;type=7")\n');
    const main = join(dir, 'main.cfg');
    writeFileSync(main, 'loadmodule "ptimer.so" loadmodule "rtimer.so"\n#!ifdef WITH_SUB\ninclude_file "sub/timers.cfg"\n#!endif\n');
    assert.deepEqual(loadKamailioConfig(main).resolve(), []);
    assert.throws(() => loadKamailioConfig(main, { defines: ['WITH_SUB'] }), (err: unknown) =>
      err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_TYPE_INVALID' && err.file === join(sub, 'timers.cfg') &&
      err.line === 3 && err.message.startsWith(`${join(sub, 'timers.cfg')}:3: `));
    writeFileSync(join(sub, 'timers.cfg'), 'modparam("ptimer", "timer", "name=p")\n');
    // The loop route missing is reported at the timer, in the included file.
    assert.throws(() => loadKamailioConfig(main, { defines: ['WITH_SUB'] }), (err: unknown) =>
      err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_LOOP_MISSING' && err.file === join(sub, 'timers.cfg') && err.line === 1);
    writeFileSync(join(sub, 'timers.cfg'), 'modparam("ptimer", "timer", "name=p")\n');
    writeFileSync(main, 'loadmodule "ptimer.so"\ninclude_file "sub/timers.cfg"\nmodparam("ptimer", "loop", "timer=p;route=L")\n');
    assert.deepEqual(summary(loadKamailioConfig(main)), ['p 1 1s L type=0']);
    writeFileSync(main, 'loadmodule "rtimer.so" loadmodule "ptimer.so" modparam("rtimer", "timer", "name=p")\ninclude_file "sub/timers.cfg"\n');
    assert.throws(() => loadKamailioConfig(main), (err: unknown) => err instanceof RTimerConfigError &&
      err.code === 'ERR_RTIMER_TIMER_DUPLICATE' && err.file === join(sub, 'timers.cfg') && err.message.includes(`(first declared at ${main}:1)`));
  });

  it('holds included files to the main file\'s rules: no NUL byte, UTF-8 only, even for import_file', () => {
    const main = join(dir, 'enc.cfg');
    for (const directive of ['include_file', 'import_file']) {
      writeFileSync(join(dir, 'latin1.cfg'), Buffer.concat([Buffer.from('# ok\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
      writeFileSync(main, `${directive} "latin1.cfg"\nloadmodule "rtimer.so" modparam("rtimer", "timer", "name=a")\n`);
      assert.throws(() => loadKamailioConfig(main), where('ERR_RTIMER_CONFIG_ENCODING', 2, 'UTF-8'), directive);
      writeFileSync(join(dir, 'latin1.cfg'), '\n\n\0\n');
      assert.throws(() => loadKamailioConfig(main), (err: unknown) => where('ERR_RTIMER_CONFIG_ENCODING', 3, 'NUL')(err) &&
        (err as RTimerConfigError).file === join(dir, 'latin1.cfg'), directive);
    }
  });

  it('takes defines with values, as a list or a record, for both functions; #!defenv reads the env option', () => {
    // Defines are not expanded inside strings: #!defenvs makes the whole (quoted) parameter.
    const text = 'loadmodule "rtimer.so" #!trydef IV 60\n#!defenvs WHO=RTIMER_TEST_WHO\nmodparam("rtimer", "default_interval", IV)\n' +
      'modparam("rtimer", "timer", "name=t")\nmodparam("rtimer", "exec", WHO)\n';
    const env = { RTIMER_TEST_WHO: 'timer=t;route=FROM_ENV' };
    assert.deepEqual(summary(parseKamailioConfig(text, { env })), ['t 0 60s FROM_ENV']);
    assert.deepEqual(summary(parseKamailioConfig(text, { env, defines: ['IV=7'] })), ['t 0 7s FROM_ENV']);
    assert.deepEqual(summary(parseKamailioConfig(text, { env, defines: { IV: '9' } })), ['t 0 9s FROM_ENV']);
    const file = join(dir, 'defs.cfg');
    writeFileSync(file, text);
    assert.deepEqual(summary(loadKamailioConfig(file, { env, defines: 'IV=8' })), ['t 0 8s FROM_ENV']);
    assert.throws(() => parseKamailioConfig(text, { env: {} }), where('ERR_RTIMER_CONFIG_PREPROCESS', 2, 'RTIMER_TEST_WHO'));
    assert.throws(() => parseKamailioConfig(text, { env, defines: ['9X'] }), { code: 'ERR_RTIMER_CONFIG_PREPROCESS' });
  });

  it('applies #!subst to the values and keeps the line of each parameter past directives and comments', () => {
    const text = '#!KAMAILIO\n#!define A 1\n#!subst "/@NAME@/real/"\n/* a\n comment */\n#!ifdef NOPE\nmodparam("rtimer", "timer", "name=x")\n' +
      '#!else\nmodparam("rtimer", "timer", "name=@NAME@;interval=3")\n#!endif\nmodparam("rtimer", "timer", "name=bad;interval=-")\n';
    assert.throws(() => parseKamailioConfig(withModules(text)), where('ERR_RTIMER_INTERVAL_INVALID', 11));
    const ok = parseKamailioConfig(withModules(text.replace('interval=-', 'interval=4')));
    assert.deepEqual(ok.resolve().map((t) => [t.name, t.interval, t.source?.line]), [['real', 3, 9], ['bad', 4, 11]]);
  });

  it('passes the preprocessor\'s warnings to onWarning', () => {
    const warnings: string[] = [];
    parseKamailioConfig(withModules('#!ifdef X trailing\n#!endif\n#!frobnicate\n'), { file: 'w.cfg', onWarning: (w) => warnings.push(`${w.file}:${w.line}`) });
    assert.deepEqual(warnings, ['w.cfg:1', 'w.cfg:3']);
  });

  it('keeps the 0.1 form loadKamailioConfig(path, into)', () => {
    const file = join(dir, 'into.cfg');
    writeFileSync(file, withModules('modparam("rtimer", "timer", "name=b")\n'));
    const into = new RTimerConfig().timer('name=a');
    assert.equal(loadKamailioConfig(file, into), into);
    assert.deepEqual(into.resolve().map((t) => t.name), ['a', 'b']);
  });
});

describe('hostile options to the kamailio.cfg readers (issue 11)', () => {
  it('refuses defines that are not strings, lists of strings or records of strings, a bad into or onWarning, as RTimerConfigErrors', () => {
    const text = 'loadmodule "rtimer.so" modparam("rtimer", "timer", "name=a")\n';
    const throwing = { [Symbol.iterator]() { throw new Error('boom'); } };
    const getter = Object.defineProperty({}, 'X', { enumerable: true, get() { throw new Error('boom'); } });
    for (const defines of [5, true, [5], ['A', null], { A: 5 }, { A: false }, throwing, getter, () => 'A']) {
      assert.throws(() => parseKamailioConfig(text, { defines: defines as never }), (err: unknown) =>
        err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_CONFIG_PREPROCESS' && /defines/.test(err.message), String(defines));
    }
    assert.throws(() => parseKamailioConfig(text, { into: {} as never }), { code: 'ERR_RTIMER_CONFIG_TEXT' });
    assert.throws(() => parseKamailioConfig(text, { onWarning: 'log' as never }), { code: 'ERR_RTIMER_CONFIG_TEXT' });
    for (const defines of [undefined, null, [], {}, 'A', ['A=1'], new Set(['A']), { A: true, B: 'x' }]) {
      assert.deepEqual(parseKamailioConfig(text, { defines: defines as never }).resolve().map((t) => t.name), ['a']);
    }
  });
});

describe('includes read regular files only, of a sane size (review of issue 9)', () => {
  let dir = '';
  let main = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtimer-incl-'));
    main = join(dir, 'kamailio.cfg');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (code: string, target: string, line = 2) => (err: unknown) => {
    assert.ok(err instanceof RTimerConfigError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.file, main, err.message);
    assert.equal(err.line, line, err.message);
    assert.ok(err.message.includes(target), err.message);
    return true;
  };

  it('include_file "/dev/zero" is refused at once, naming the file and line, not read for ever', () => {
    assert.throws(() => parseKamailioConfig(withModules('#!KAMAILIO\ninclude_file "/dev/zero"\n'), { file: main }),
      refused('ERR_RTIMER_CONFIG_NOT_FILE', '/dev/zero'));
    assert.throws(() => parseKamailioConfig(withModules('#!KAMAILIO\nimport_file "/dev/zero"\n'), { file: main }),
      refused('ERR_RTIMER_CONFIG_NOT_FILE', 'a character device'), 'import_file does not skip it silently either');
  });

  it('a FIFO and a directory are refused as includes (a FIFO would block the read)', function () {
    const sub = join(dir, 'conf.d');
    mkdirSync(sub);
    assert.throws(() => parseKamailioConfig(withModules('#!KAMAILIO\ninclude_file "conf.d"\n'), { file: main }),
      refused('ERR_RTIMER_CONFIG_NOT_FILE', 'a directory'));
    const fifo = join(dir, 'pipe.cfg');
    if (spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
    assert.throws(() => parseKamailioConfig(withModules('#!KAMAILIO\ninclude_file "pipe.cfg"\n'), { file: main }),
      refused('ERR_RTIMER_CONFIG_NOT_FILE', 'a FIFO'));
  });

  it('an include larger than MAX_CONFIG_BYTES is refused, and the main file too', () => {
    const big = join(dir, 'big.cfg');
    writeFileSync(big, '');
    truncateSync(big, MAX_CONFIG_BYTES + 1); // sparse: no 16 MiB written
    assert.throws(() => parseKamailioConfig(withModules('#!KAMAILIO\ninclude_file "big.cfg"\n'), { file: main }),
      refused('ERR_RTIMER_CONFIG_TOO_LARGE', 'big.cfg'));
    assert.throws(() => loadKamailioConfig(big), (e: RTimerConfigError) => e.code === 'ERR_RTIMER_CONFIG_TOO_LARGE' && e.message.includes(big));
  });

  it('loadKamailioConfig("/dev/zero") is refused as not a regular file', () => {
    assert.throws(() => loadKamailioConfig('/dev/zero'),
      (e: RTimerConfigError) => e.code === 'ERR_RTIMER_CONFIG_NOT_FILE' && /cannot read config "\/dev\/zero": not a regular file/.test(e.message));
  });
});
