import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadKamailioConfig, parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
import { RTimerConfig } from '../lib/config/config.js';
import { RTimerConfigError } from '../lib/errors.js';

const CFG = `#!KAMAILIO
#!define WITH_RTIMER
loadmodule "rtimer.so"
modparam("tm", "fr_timer", 30000)
# modparam("rtimer", "timer", "name=commented;interval=1")
// modparam("rtimer", "timer", "name=commented2;interval=1")
/* modparam("rtimer", "timer", "name=blocked;interval=1")
   modparam("rtimer", "timer", "name=blocked2;interval=1") */
modparam("rtimer", "exec", "timer=ta;route=LATE")
modparam("rtimer", "timer", "name=ta;mode=1;interval=10")
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
    const timers = parseKamailioConfig(CFG).resolve();
    assert.deepEqual(timers.map((t) => [t.name, t.mode, t.interval, t.routes]), [
      ['ta', 1, 10, ['LATE', 'ONTIMER']],
      ['tb', 0, 60, ['ksr_rtimer']],
    ]);
    assert.equal(timers[0].source?.line, 10);
  });

  it('reads a file by path or file URL and puts the file name in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-cfg-'));
    const file = join(dir, 'kamailio.cfg');
    writeFileSync(file, CFG);
    assert.equal(loadKamailioConfig(file).resolve().length, 2);
    assert.equal(loadKamailioConfig(pathToFileURL(file)).resolve().length, 2);
    writeFileSync(file, 'loadmodule "rtimer.so"\n\nmodparam("rtimer", "timer", "name=ta;intrval=10")\n');
    assert.throws(() => loadKamailioConfig(file), (err: unknown) =>
      err instanceof RTimerConfigError && err.message === `${file}:3: unknown key "intrval" in "name=ta;intrval=10" (expected name, mode, interval, ntasks, nslices)`);
    assert.throws(() => loadKamailioConfig(join(dir, 'missing.cfg')), { code: 'ERR_RTIMER_CONFIG_READ' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports errors with the line of the offending parameter', () => {
    assert.throws(() => parseKamailioConfig('\n\nmodparam("rtimer", "timer", "name=ta;intrval=10")\n'),
      where('ERR_RTIMER_PARAM_UNKNOWN_KEY', 3, 'intrval'));
    assert.throws(() => parseKamailioConfig('modparam("rtimer", "timer", "name=a")\n/*\n*/\nmodparam("rtimer", "timer", "name=A")'),
      where('ERR_RTIMER_TIMER_DUPLICATE', 4, 'A'));
    assert.throws(() => parseKamailioConfig('modparam("rtimer", "timer", "name=a")\n\nmodparam("rtimer", "exec", "timer=b;route=R")\n'),
      where('ERR_RTIMER_EXEC_TIMER_UNKNOWN', 3, '"b"'));
    assert.throws(() => parseKamailioConfig('\nmodparam("rtimer", "timers", "name=a")'),
      where('ERR_RTIMER_CONFIG_UNKNOWN_PARAM', 2, 'timers'));
    assert.throws(() => parseKamailioConfig('\nmodparam("rtimer", "default_interval", "0")'),
      where('ERR_RTIMER_DEFAULT_INTERVAL_INVALID', 2));
    assert.throws(() => parseKamailioConfig('\n\nmodparam("rtimer", "timer")'), where('ERR_RTIMER_CONFIG_SYNTAX', 3));
    assert.throws(() => parseKamailioConfig('\nmodparam("rtimer", "timer", "name=a)\n'), where('ERR_RTIMER_CONFIG_SYNTAX', 2, 'unterminated'));
    assert.throws(() => parseKamailioConfig('\nmodparam("rtimer" "timer" "name=a")'), where('ERR_RTIMER_CONFIG_SYNTAX', 2));
    assert.throws(() => parseKamailioConfig('\n/* never closed\nmodparam("rtimer", "timer", "name=a")'), where('ERR_RTIMER_CONFIG_SYNTAX', 2, '/*'));
  });

  it('handles a string spanning lines and escaped quotes', () => {
    const cfg = parseKamailioConfig('modparam("x", "y", "a\\"b")\nmodparam("rtimer", "timer",\n  "name=ta;\n interval=3")');
    assert.deepEqual(cfg.resolve().map((t) => [t.name, t.interval, t.source?.line]), [['ta', 3, 3]]);
  });

  it('gives an empty configuration for a file without rtimer lines', () => {
    assert.deepEqual(parseKamailioConfig('loadmodule "tm.so"\nroute { exit; }\n').resolve(), []);
  });
});

describe('a path and a text are told apart (issue 9 #16)', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-cfg-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loadKamailioConfig reads a path with a parenthesis as a file', () => {
    const file = join(dir, 'kam(1).cfg');
    writeFileSync(file, 'modparam("rtimer", "timer", "name=paren;interval=2")\n');
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
    parseKamailioConfig('modparam("rtimer", "timer", "name=cfg")', { into });
    assert.deepEqual(into.resolve().map((t) => t.name), ['api', 'cfg']);
    assert.throws(() => parseKamailioConfig(Buffer.from('x') as never), { code: 'ERR_RTIMER_CONFIG_TEXT' });
  });

  it('refuses NUL bytes and invalid UTF-8 with the line; a BOM is fine', () => {
    const ok = 'modparam("rtimer", "timer", "name=a")\n';
    const nul = join(dir, 'nul.cfg');
    writeFileSync(nul, `${ok}# comment\nmodparam("rtimer", "timer", "name=b\0")\n`);
    assert.throws(() => loadKamailioConfig(nul), where('ERR_RTIMER_CONFIG_ENCODING', 3, 'NUL'));
    const latin1 = join(dir, 'latin1.cfg');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${ok}# caf`), Buffer.from([0xe9]), Buffer.from('\n' + ok)]));
    assert.throws(() => loadKamailioConfig(latin1), where('ERR_RTIMER_CONFIG_ENCODING', 2, 'UTF-8'));
    assert.throws(() => parseKamailioConfig(`\n\n\0${ok}`), where('ERR_RTIMER_CONFIG_ENCODING', 3, 'NUL'));
    assert.throws(() => parseKamailioConfig(`${ok}# \uD800\n`), where('ERR_RTIMER_CONFIG_ENCODING', 2));
    const bom = join(dir, 'bom.cfg');
    writeFileSync(bom, '\uFEFF' + ok);
    assert.deepEqual(loadKamailioConfig(bom).resolve().map((t) => t.name), ['a']);
  });
});
