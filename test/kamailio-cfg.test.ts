import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadKamailioConfig, parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
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
      err instanceof RTimerConfigError && err.message === `${file}:3: unknown key "intrval" in "name=ta;intrval=10" (expected name, mode, interval)`);
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
