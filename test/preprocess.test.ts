import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_INCLUDE_DEPTH, preprocess, preprocessFile, type PreprocessOptions, type PreprocessResult } from '../lib/config/preprocess.js';
import { RTimerConfigError } from '../lib/errors.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures/kamailio');
const STOCK = '/etc/kamailio/kamailio.cfg';

/** The live code of a result, comments and blank lines left out. */
const code = (r: PreprocessResult) => r.lines.map((l) => l.text.trim()).filter(Boolean);
const pp = (text: string, options: PreprocessOptions = {}) => code(preprocess(text, { cwd: '/nonexistent', ...options }));

/** In-memory files by absolute path; a missing one throws as fs.readFileSync does. */
function memory(files: Record<string, string>, reads: string[] = []): (path: string) => string {
  return (path) => {
    reads.push(path);
    if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return files[path];
  };
}

const fails = (code: string, file: string, line: number, ...words: string[]) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, String(err));
  assert.equal(err.code, code, err.message);
  assert.equal(err.file, file, err.message);
  assert.equal(err.line, line, err.message);
  assert.ok(err.message.startsWith(`${file}:${line}: `), err.message);
  for (const w of words) assert.ok(err.message.includes(w), `"${w}" not in: ${err.message}`);
  return true;
};

describe('preprocess: branches', () => {
  it('keeps the #!ifdef branch of a defined name and the #!else branch otherwise', () => {
    const cfg = '#!define WITH_A\n#!ifdef WITH_A\na=1\n#!else\na=2\n#!endif\n#!ifndef WITH_A\nb=1\n#!else\nb=2\n#!endif\n';
    assert.deepEqual(pp(cfg), ['a=1', 'b=2']);
    assert.deepEqual(pp(cfg.replace('#!define WITH_A\n', '')), ['a=2', 'b=1']);
  });

  it('nests: an inner branch is live only when every enclosing one is', () => {
    const cfg = [
      '#!ifdef A', 'a', '#!ifdef B', 'ab', '#!else', 'a-notb', '#!endif', '#!else', 'nota',
      '#!ifndef B', 'nota-notb', '#!else', 'nota-b', '#!endif', '#!endif', 'end',
    ].join('\n');
    assert.deepEqual(pp(cfg, { defines: ['A', 'B'] }), ['a', 'ab', 'end']);
    assert.deepEqual(pp(cfg, { defines: ['A'] }), ['a', 'a-notb', 'end']);
    assert.deepEqual(pp(cfg, { defines: ['B'] }), ['nota', 'nota-b', 'end']);
    assert.deepEqual(pp(cfg), ['nota', 'nota-notb', 'end']);
  });

  it('flips the branch on every #!else, as cfg.lex does', () => {
    assert.deepEqual(pp('#!ifdef A\n1\n#!else\n2\n#!else\n3\n#!endif\n', { defines: ['A'] }), ['1', '3']);
  });

  it('reads the !! form of every directive like the #! form', () => {
    const cfg = [
      '!!define A 1', '!!trydef A 2', '!!redefine B 3', '!!ifdef A', 'a=A', '!!else', 'x', '!!endif',
      '!!ifndef NOPE', 'b=B', '!!endif', '!!defenv E=HOME_X', '!!defenvs S=HOME_X', '!!subst "/foo/bar/"',
      '!!substdef "/SD/sd/"', '!!undefine B', '!!ifdef B', 'dead', '!!endif', 'e=E; s=S; t="foo"; u=SD',
      '!!import_file "missing.cfg"', '!!include_file "inc.cfg"',
    ].join('\n');
    const out = pp(cfg, { env: { HOME_X: '/h' }, readFile: memory({ '/cfg/inc.cfg': 'included' }), file: '/cfg/main.cfg' });
    assert.deepEqual(out, ['a=1', 'b=3', 'e=/h; s="/h"; t="bar"; u=sd', 'included']);
  });

  it('does not see directives inside block comments, and skips every other directive in a false branch', () => {
    const cfg = [
      '/* #!define HIDDEN', '#!ifdef NOPE', '*/', '#!ifdef HIDDEN', 'hidden', '#!endif',
      '#!ifdef NOPE', '#!define DEAD 1', 'include_file "never-read.cfg"', '#!endif', 'd=DEAD',
    ].join('\n');
    const reads: string[] = [];
    assert.deepEqual(pp(cfg, { readFile: memory({}, reads) }), ['d=DEAD']);
    assert.deepEqual(reads, []);
  });

  it('counts #!ifexp in a false branch for nesting, and refuses it in a live one', () => {
    assert.deepEqual(pp('#!ifdef NOPE\n#!ifexp A > 1\nx\n#!endif\ny\n#!endif\nz\n'), ['z']);
    assert.throws(() => preprocess('\n#!ifexp A > 1\n#!endif\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, '#!ifexp', 'not supported'));
  });

  it('reads unknown #! words as comments, with a warning, and #!KAMAILIO silently', () => {
    const r = preprocess('#!KAMAILIO\n#!ifdfe A\nx=1\n', { file: 'k.cfg' });
    assert.deepEqual(code(r), ['x=1']);
    assert.deepEqual(r.warnings, [{ file: 'k.cfg', line: 2, message: '"#!ifdfe" is not a preprocessor directive: Kamailio reads this line as a comment' }]);
  });

  it('carries comments and strings over line ends, and refuses them left open at the end of a file', () => {
    assert.deepEqual(pp('a /* x\n#!define X 1\n y */ b\nc = "s\\\n#!ifdef T\n"\nX\n'), ['a', 'b', 'c =', '"s#!ifdef T\\n"', 'X']);
    assert.throws(() => preprocess('a\n/* x /* nested */\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_SYNTAX', 'k.cfg', 2, 'unterminated /*'));
    assert.throws(() => preprocess('a\nb = "open\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_SYNTAX', 'k.cfg', 2, 'unterminated " string'));
  });

  it('reports lines with their file and original number, directives and skipped lines left out', () => {
    const r = preprocess('#!define X 1\n#!ifdef NOPE\nskipped\n#!endif\nv=X\n', { file: 'k.cfg' });
    assert.deepEqual(r.lines, [{ file: 'k.cfg', line: 5, text: 'v=1', raw: 'v=X' }]);
  });
});

describe('preprocess: branch errors', () => {
  it('refuses a #!endif without #!ifdef, naming file and line', () => {
    assert.throws(() => preprocess('x\n#!endif\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, '#!endif without'));
  });

  it('refuses a missing #!endif, naming the #!ifdef left open', () => {
    assert.throws(() => preprocess('#!ifdef A\n#!endif\n#!ifndef B\n#!ifdef C\n#!endif\nx\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 3, '#!ifndef B', 'missing #!endif'));
    assert.throws(() => preprocess('#!ifdef A\n#!ifdef B\n#!endif\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, '#!ifdef A is never closed'));
  });

  it('refuses text after #!endif or #!else, which Kamailio reads as a comment', () => {
    assert.throws(() => preprocess('#!ifdef A\n#!endif # done\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_MISREAD', 'k.cfg', 2, 'must be alone on its line'));
    assert.throws(() => preprocess('#!ifdef A\n#!else x\n#!endif\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_MISREAD', 'k.cfg', 2, 'must be alone on its line'));
  });

  it('refuses #!ifdef without a name and names with "-"', () => {
    assert.throws(() => preprocess('#!ifdef\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'needs a name'));
    assert.throws(() => preprocess('\n#!ifdef TRAFFIC_FILTER-ROLE\n#!endif\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, '"-" is not allowed'));
  });

  it('warns about a stray #!else and about text after #!ifdef NAME, as Kamailio carries on', () => {
    const r = preprocess('#!else\n#!ifdef A // why\nx\n#!endif\n', { file: 'k.cfg' });
    assert.deepEqual(r.warnings.map((w) => w.line), [1, 2]);
    assert.deepEqual(code(r), []);
  });
});

describe('preprocess: defines', () => {
  it('replaces defined IDs in code, not in strings, comments, pseudo-variables or longer IDs', () => {
    const cfg = [
      '#!define PORT 5060', '#!define DBURL "mysql://u@h/db"', '#!define FLAG',
      'listen=udp:1.2.3.4:PORT', 'modparam("acc", "db_url", DBURL) # DBURL', 'x = "PORT"; y = \'PORT\'',
      '$var(PORT) = $PORT; @PORT.x; PORT_2 = XPORT', 'f=FLAG;', 'z = PORT /* PORT */ + PORT',
    ].join('\n');
    assert.deepEqual(pp(cfg), [
      'listen=udp:1.2.3.4:5060', 'modparam("acc", "db_url", "mysql://u@h/db")', 'x = "PORT"; y = \'PORT\'',
      '$var(PORT) = $PORT; @PORT.x; PORT_2 = XPORT', 'f=;', 'z = 5060   + 5060',
    ]);
  });

  it('expands a value again, so defines may refer to other defines', () => {
    assert.deepEqual(pp('#!define A B + 1\n#!define B C\n#!define C 7\nv=A\n'), ['v=7 + 1']);
    assert.throws(() => preprocess('#!define A B\n#!define B A\nv=A\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 3, 'never stops expanding'));
  });

  it('refuses #!define of a defined name; #!trydef keeps the first; #!redefine replaces', () => {
    assert.throws(() => preprocess('#!define A 1\n\n#!define A 2\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 3, '"A" is already defined (k.cfg:1)'));
    assert.deepEqual(pp('#!define A 1\n#!trydef A 2\n#!trydefine B 3\nv=A,B\n'), ['v=1,3']);
    assert.deepEqual(pp('#!def A 1\n#!redefine A 2\n#!redef B 4\nv=A,B\n#!redefine A\nw=[A]\n'), ['v=2,4', 'w=[]']);
  });

  it('takes the rest of the line as the value, continued by a trailing backslash', () => {
    const r = preprocess('#!define LONG a \\\n  b \\\nc\nv=LONG\n#!define P(x)\n', { file: 'k.cfg' });
    assert.deepEqual(code(r), ['v=a   b c']);
    assert.deepEqual(r.lines.map((l) => l.line), [4]);
    assert.equal(r.defines.get('P'), '(x)');
  });

  it('refuses a define without a name or with "-" in it', () => {
    assert.throws(() => preprocess('#!define \n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'needs a name'));
    assert.throws(() => preprocess('#!define 1A x\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'needs a name'));
    assert.throws(() => preprocess('#!define A-B x\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, '"-" is not allowed'));
  });

  it('undefines with #!undefine (an error when not defined) and #!tryundefine', () => {
    assert.deepEqual(pp('#!define A\n#!undefine A\n#!ifdef A\nx\n#!endif\n#!tryundefine A\n#!undef B\n', { defines: ['B'] }), []);
    assert.throws(() => preprocess('#!undefine A\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'not defined'));
  });

  it('takes defines from outside like kamailio -A, as a list or a record, before the file', () => {
    const cfg = '#!ifdef WITH_X\nx\n#!endif\n#!trydef N 10\nn=N\n';
    assert.deepEqual(pp(cfg, { defines: ['WITH_X', 'N=5'] }), ['x', 'n=5']);
    assert.deepEqual(pp(cfg, { defines: { WITH_X: true, N: '7' } }), ['x', 'n=7']);
    assert.deepEqual(pp(cfg), ['n=10']);
    assert.deepEqual(pp(cfg, { defines: 'WITH_X' }), ['x', 'n=10']);
    assert.deepEqual(preprocess('').lines, []);
    assert.throws(() => preprocess('\n#!define WITH_X\n', { defines: ['WITH_X'], file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, 'already defined (given from outside)'));
    assert.throws(() => preprocess('', { defines: ['WITH-X'] }), { code: 'ERR_RTIMER_CONFIG_PREPROCESS' });
  });

  it('predefines the Kamailio version names, and MOD_<name> once a module is loaded', () => {
    const cfg = '#!ifdef KAMAILIO_5_8\nv=KAMAILIO_VERSION\n#!endif\n#!ifdef MOD_rtimer\nearly\n#!endif\n'
      + 'loadmodule "/usr/lib/kamailio/modules/rtimer.so"\n#!ifdef MOD_rtimer\nlate\n#!endif\n';
    assert.deepEqual(pp(cfg, { kamailioVersion: '5.8.3' }), ['v=5008003', 'loadmodule "/usr/lib/kamailio/modules/rtimer.so"', 'late']);
    assert.equal(preprocess('', { kamailioVersion: false }).defines.size, 0);
    assert.ok(preprocess('').defines.has('KAMAILIO_6'));
  });
});

describe('preprocess: environment', () => {
  const env = { SIP_PORT: '5080', EMPTY: '' };

  it('#!defenv NAME=VAR and #!defenv VAR define from the environment; #!defenvs quotes', () => {
    assert.deepEqual(pp('#!defenv PORT=SIP_PORT\n#!defenv SIP_PORT\n#!defenvs SPORT=SIP_PORT\nv=PORT,SIP_PORT,SPORT\n', { env }),
      ['v=5080,5080,"5080"']);
    const r = preprocess('#!defenv E=EMPTY\n#!defenvs S=EMPTY\n', { env });
    assert.equal(r.defines.has('E'), true);
    assert.equal(r.defines.get('E'), undefined);
    assert.equal(r.defines.get('S'), '""');
  });

  it('refuses an unset variable with #!defenv, skips it with #!trydefenv', () => {
    assert.throws(() => preprocess('\n#!defenv P=NOT_SET_X\n', { env, file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, '"NOT_SET_X" is not set'));
    assert.deepEqual(pp('#!trydefenv P=NOT_SET_X\n#!trydefenvs NOT_SET_X\n#!ifdef P\nx\n#!endif\n#!ifndef NOT_SET_X\ny\n#!endif\n', { env }), ['y']);
    assert.throws(() => preprocess('#!defenv P=\n', { env }), { code: 'ERR_RTIMER_CONFIG_PREPROCESS' });
    assert.throws(() => preprocess('#!define P 1\n#!trydefenv P=SIP_PORT\n', { env, file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, 'already defined'));
  });

  it('reads process.env unless told otherwise', () => {
    process.env.RTIMER_PP_TEST_VAR = 'from-process';
    try {
      assert.deepEqual(pp('#!defenvs V=RTIMER_PP_TEST_VAR\nv=V\n'), ['v="from-process"']);
    } finally {
      delete process.env.RTIMER_PP_TEST_VAR;
    }
  });
});

describe('preprocess: subst', () => {
  it('#!subst rewrites the strings after it, not IDs and not earlier strings', () => {
    const cfg = 'a="Hello"\n#!subst "/Hello/Hi/"\nb="Hello Hello"; Hello\nc=\'say Hello\'\n';
    assert.deepEqual(pp(cfg), ['a="Hello"', 'b="Hi Hello"; Hello', 'c="say Hi"']);
  });

  it('takes the g, i and s flags and \\N groups', () => {
    assert.deepEqual(pp('#!subst "/a(b+)/<\\1>/gi"\nv="abb xAB ac"\n'), ['v="<bb> x<B> ac"']);
    assert.deepEqual(pp('#!subst "!x!y!"\n#!subst "/^y/z/"\nv="xx"\n'), ['v="zx"']);
    assert.deepEqual(pp('#!subst "/[[:digit:]]+/N/g"\nv="a1b22"\n'), ['v="aNbN"']);
  });

  it('#!substdef defines the regexp text as an ID too; #!substdefs quotes it', () => {
    const cfg = '#!substdef "!MY_IP!10.0.0.1!g"\n#!substdefs "/MY_NAME/edge/"\nlisten=udp:MY_IP:5060\nv="MY_IP:MY_IP"; n=MY_NAME; s="MY_NAME"\n';
    assert.deepEqual(pp(cfg), ['listen=udp:10.0.0.1:5060', 'v="10.0.0.1:10.0.0.1"; n="edge"; s="edge"']);
    assert.throws(() => preprocess('#!define MY_IP 1\n#!substdef "!MY_IP!2!"\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, 'already defined'));
  });

  it('takes the expression from a define, and refuses a malformed one with file and line', () => {
    assert.deepEqual(pp('#!define RULE "/old/new/"\n#!subst RULE\nv="old"\n'), ['v="new"']);
    assert.throws(() => preprocess('\n#!subst "/a/b"\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 2, 'no separator'));
    assert.throws(() => preprocess('#!subst "/a/b/q"\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'unknown flag'));
    assert.throws(() => preprocess('#!subst /a/b/\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg', 1, 'one quoted expression'));
  });
});

describe('preprocess: includes', () => {
  const files = {
    '/etc/k/kamailio.cfg': '#!define TOP 1\ninclude_file "inc/a.cfg"\nafter=TOP\n',
    '/etc/k/inc/a.cfg': 'a=TOP\n#!include_file "b.cfg"\n',
    '/etc/k/inc/b.cfg': '\nb=B\n#!define B 2\n',
  };

  it('reads includes relative to the including file, in place, with their own file and line', () => {
    const r = preprocessFile('/etc/k/kamailio.cfg', { readFile: memory(files), cwd: '/nonexistent' });
    assert.deepEqual(r.lines.filter((l) => l.text).map((l) => [l.file, l.line, l.text]), [
      ['/etc/k/inc/a.cfg', 1, 'a=1'], ['/etc/k/inc/b.cfg', 2, 'b=B'], ['/etc/k/kamailio.cfg', 3, 'after=1'],
    ]);
    assert.deepEqual(r.files, ['/etc/k/kamailio.cfg', '/etc/k/inc/a.cfg', '/etc/k/inc/b.cfg']);
  });

  it('tries a relative name from where Kamailio was started first, as Kamailio does', () => {
    const r = preprocessFile('/etc/k/kamailio.cfg', { readFile: memory({ ...files, '/run/inc/a.cfg': 'a=cwd\n' }), cwd: '/run' });
    assert.deepEqual(code(r), ['a=cwd', 'after=1']);
    assert.equal(r.lines[0].file, 'inc/a.cfg');
  });

  it('tolerates a missing import_file and refuses a missing include_file, naming the including line', () => {
    const reads: string[] = [];
    assert.deepEqual(code(preprocessFile('/k/main.cfg', {
      readFile: memory({ '/k/main.cfg': 'x=1\nimport_file "local.cfg"\n#!import_file "/abs/none.cfg"\n' }, reads), cwd: '/run',
    })), ['x=1']);
    assert.deepEqual(reads, ['/k/main.cfg', '/run/local.cfg', '/k/local.cfg', '/abs/none.cfg']);
    assert.throws(() => preprocessFile('/k/main.cfg', { readFile: memory({ '/k/main.cfg': 'x=1\n\ninclude_file "local.cfg"\n' }), cwd: '/run' }),
      fails('ERR_RTIMER_CONFIG_INCLUDE', '/k/main.cfg', 3, 'include_file "local.cfg"', 'not found', '/k/local.cfg'));
  });

  it('refuses an include cycle, naming the chain', () => {
    const cyc = { '/k/main.cfg': 'include_file "a.cfg"\n', '/k/a.cfg': '\ninclude_file "sub/b.cfg"\n', '/k/sub/b.cfg': 'include_file "../a.cfg"\n' };
    assert.throws(() => preprocessFile('/k/main.cfg', { readFile: memory(cyc), cwd: '/run' }),
      fails('ERR_RTIMER_CONFIG_INCLUDE', '/k/sub/b.cfg', 1, 'include cycle: /k/a.cfg -> /k/sub/b.cfg -> /k/a.cfg'));
    assert.throws(() => preprocessFile('/k/main.cfg', { readFile: memory({ '/k/main.cfg': 'include_file "main.cfg"\n' }), cwd: '/run' }),
      fails('ERR_RTIMER_CONFIG_INCLUDE', '/k/main.cfg', 1, 'include cycle: /k/main.cfg -> /k/main.cfg'));
  });

  it(`allows includes ${MAX_INCLUDE_DEPTH} deep, as Kamailio, and refuses one more`, () => {
    const chain = (n: number) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < n; i++) f[`/k/f${i}.cfg`] = `include_file "f${i + 1}.cfg"\n`;
      f[`/k/f${n}.cfg`] = 'deepest\n';
      return f;
    };
    assert.equal(MAX_INCLUDE_DEPTH, 10);
    assert.deepEqual(code(preprocessFile('/k/f0.cfg', { readFile: memory(chain(10)), cwd: '/run' })), ['deepest']);
    assert.throws(() => preprocessFile('/k/f0.cfg', { readFile: memory(chain(11)), cwd: '/run' }),
      fails('ERR_RTIMER_CONFIG_INCLUDE', '/k/f10.cfg', 1, 'too many nested includes'));
  });

  it('needs the file name between double quotes', () => {
    assert.throws(() => preprocess('include_file local.cfg\n', { file: 'k.cfg' }),
      fails('ERR_RTIMER_CONFIG_INCLUDE', 'k.cfg', 1, 'between double quotes'));
    assert.throws(() => preprocess('import_file\n', { file: 'k.cfg' }), fails('ERR_RTIMER_CONFIG_INCLUDE', 'k.cfg', 1, 'needs a file name'));
  });

  it('keeps one #!ifdef stack across files, as Kamailio does', () => {
    const f = { '/k/main.cfg': '#!ifdef A\ninclude_file "close.cfg"\nafter\n', '/k/close.cfg': 'inside\n#!endif\n' };
    assert.deepEqual(code(preprocessFile('/k/main.cfg', { readFile: memory(f), cwd: '/run', defines: ['A'] })), ['inside', 'after']);
  });

  it('reads real files with fs by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-pp-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      writeFileSync(join(dir, 'main.cfg'), 'include_file "conf.d/one.cfg"\n');
      writeFileSync(join(dir, 'conf.d', 'one.cfg'), 'import_file "two.cfg"\none\n');
      writeFileSync(join(dir, 'conf.d', 'two.cfg'), 'two\n');
      const r = preprocessFile(join(dir, 'main.cfg'));
      assert.deepEqual(code(r), ['two', 'one']);
      assert.deepEqual(r.lines.map((l) => [l.file, l.line]), [[join(dir, 'conf.d/two.cfg'), 1], [join(dir, 'conf.d/one.cfg'), 2]]);
      assert.throws(() => preprocessFile(join(dir, 'none.cfg')), { code: 'ERR_RTIMER_CONFIG_READ' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('preprocess: a kamailio.cfg shaped like the Debian one (fixture)', () => {
  const file = join(FIXTURES, 'kamailio.cfg');
  /** The rtimer and ptimer modparams Kamailio would read with these defines. */
  const timers = (defines: string[], options: PreprocessOptions = {}) =>
    code(preprocessFile(file, { ...options, defines })).filter((t) => /^modparam\("(rtimer|ptimer)"/.test(t));
  const base = [
    'modparam("rtimer", "default_interval", 10)',
    'modparam("rtimer", "timer", "name=housekeeping;interval=60;mode=1")',
    'modparam("rtimer", "exec", "timer=housekeeping;route=HOUSEKEEPING")',
  ];

  it('with no defines: the file-sync branch of dbsync, no optional timers', () => {
    assert.deepEqual(timers([]), [...base,
      'modparam("rtimer", "timer", "name=dbsync;interval=120")',
      'modparam("rtimer", "exec", "timer=dbsync;route=FILESYNC")',
    ]);
  });

  it('with WITH_MYSQL: the database branch of dbsync only, and DBURL expanded', () => {
    assert.deepEqual(timers(['WITH_MYSQL']), [...base,
      'modparam("rtimer", "timer", "name=dbsync;interval=30;mode=1")',
      'modparam("rtimer", "exec", "timer=dbsync;route=DBSYNC")',
    ]);
    const lines = code(preprocessFile(file, { defines: ['WITH_MYSQL', 'WITH_ACCDB'] }));
    assert.ok(lines.includes('modparam("acc", "db_url", "mysql://kamailio:kamailiorw@localhost/kamailio")'), lines.join('\n'));
    assert.ok(lines.includes('loadmodule "db_mysql.so"'));
  });

  it('with WITH_MYSQL, WITH_AUTH, WITH_NAT, WITH_RTPENGINE, WITH_DEBUG and WITH_PTIMER', () => {
    assert.deepEqual(timers(['WITH_MYSQL', 'WITH_AUTH', 'WITH_NAT', 'WITH_RTPENGINE', 'WITH_DEBUG', 'WITH_PTIMER']), [...base,
      'modparam("rtimer", "timer", "name=dbsync;interval=30;mode=1")',
      'modparam("rtimer", "exec", "timer=dbsync;route=DBSYNC")',
      'modparam("rtimer", "timer", "name=authcache;interval=300;mode=1")',
      'modparam("rtimer", "exec", "timer=authcache;route=AUTHCACHE")',
      'modparam("rtimer", "timer", "name=rtpping;interval=20")',
      'modparam("rtimer", "exec", "timer=rtpping;route=RTPPING")',
      'modparam("rtimer", "timer", "name=debugstats;interval=1")',
      'modparam("rtimer", "exec", "timer=debugstats;route=DEBUGSTATS")',
      'modparam("ptimer", "timer", "name=shaper;type=2;interval=100ms;nworkers=8;ntasks=1000;nslices=80")',
      'modparam("ptimer", "start", "timer=shaper;route=SHAPER_START")',
      'modparam("ptimer", "loop", "timer=shaper;route=SHAPER_LOOP")',
      'modparam("ptimer", "end", "timer=shaper;route=SHAPER_END")',
    ]);
  });

  it('with WITH_AUTH but no WITH_MYSQL, WITH_NAT without rtpengine, WITH_PTIMER without debug', () => {
    assert.deepEqual(timers(['WITH_AUTH', 'WITH_NAT', 'WITH_PTIMER']), [...base,
      'modparam("rtimer", "timer", "name=dbsync;interval=120")',
      'modparam("rtimer", "exec", "timer=dbsync;route=FILESYNC")',
      'modparam("rtimer", "timer", "name=rtpping;interval=15")',
      'modparam("rtimer", "exec", "timer=rtpping;route=RTPPING")',
      'modparam("ptimer", "timer", "name=shaper;type=2;interval=100ms;nworkers=8;ntasks=1000;nslices=80")',
      'modparam("ptimer", "start", "timer=shaper;route=SHAPER_START")',
      'modparam("ptimer", "loop", "timer=shaper;route=SHAPER_LOOP")',
    ]);
  });

  it('reads kamailio-local.cfg through import_file, so a local DBURL wins over the #!trydef', () => {
    const lines = code(preprocessFile(file, { defines: ['WITH_MYSQL', 'WITH_ACCDB', 'WITH_LOCAL_DB'] }));
    assert.ok(lines.includes('modparam("acc", "db_url", "mysql://local:secret@db.example.net/kamailio")'), lines.join('\n'));
    // Without the local file (import_file tolerates it), the #!trydef value stands.
    const only = preprocessFile(file, {
      defines: ['WITH_MYSQL', 'WITH_ACCDB', 'WITH_LOCAL_DB'],
      readFile: (p) => { if (p.endsWith('kamailio-local.cfg')) throw new Error('ENOENT'); return readFileSync(p, 'utf8'); },
    });
    assert.ok(code(only).includes('modparam("acc", "db_url", "mysql://kamailio:kamailiorw@localhost/kamailio")'));
    assert.deepEqual(only.files, [file]);
  });

  it('takes RTIMER_INTERVAL from outside, and an included file with its own #!substdef', () => {
    assert.deepEqual(timers(['RTIMER_INTERVAL=5', 'WITH_RTIMER_EXTRA']), [
      'modparam("rtimer", "default_interval", 5)', ...base.slice(1),
      'modparam("rtimer", "timer", "name=dbsync;interval=120")',
      'modparam("rtimer", "exec", "timer=dbsync;route=FILESYNC")',
      'modparam("rtimer", "timer", "name=extra;interval=45")',
      'modparam("rtimer", "exec", "timer=extra;route=EXTRA")',
    ]);
    const r = preprocessFile(file, { defines: ['WITH_RTIMER_EXTRA'] });
    const extra = r.lines.find((l) => l.text.includes('name=extra'))!;
    assert.deepEqual([extra.file, extra.line], [join(FIXTURES, 'conf.d/rtimer-extra.cfg'), 4]);
  });
});

describe('preprocess: the stock kamailio.cfg of the Debian package', () => {
  it('preprocesses /etc/kamailio/kamailio.cfg under several define sets', function () {
    if (!existsSync(STOCK)) {
      console.log(`      (skipped: ${STOCK} is absent; install the Debian "kamailio" package to run this test)`);
      this.skip();
    }
    const sets = [
      [], ['WITH_MYSQL'], ['WITH_MYSQL', 'WITH_AUTH', 'WITH_USRLOCDB', 'WITH_ACCDB'],
      ['WITH_NAT', 'WITH_RTPENGINE', 'WITH_DEBUG', 'WITH_TLS', 'WITH_ANTIFLOOD'],
      ['WITH_MYSQL', 'WITH_AUTH', 'WITH_IPAUTH', 'WITH_PRESENCE', 'WITH_MULTIDOMAIN', 'WITH_ALIASDB', 'WITH_SPEEDDIAL',
        'WITH_NAT', 'WITH_PSTN', 'WITH_VOICEMAIL', 'WITH_JSONRPC', 'WITH_BLOCK3XX', 'WITH_BLOCK401407', 'WITH_NATSIPPING'],
    ];
    const counts = new Set<number>();
    for (const defines of sets) {
      const r = preprocessFile(STOCK, { defines, cwd: '/' });
      const lines = code(r);
      counts.add(lines.length);
      // debug=DBGLEVEL is defined in both branches of #!ifdef WITH_DEBUG.
      assert.ok(lines.includes(defines.includes('WITH_DEBUG') ? 'debug=3' : 'debug=2'), `debug line for ${defines}`);
      assert.equal(lines.some((l) => l.startsWith('loadmodule "db_mysql.so"')), defines.includes('WITH_MYSQL'));
      assert.equal(lines.some((l) => l.includes('ALTER TABLE')), false);
      if (defines.includes('WITH_MYSQL') && defines.includes('WITH_AUTH')) {
        assert.ok(lines.some((l) => /^modparam\("auth_db", "db_url", "mysql:\/\//.test(l)), 'DBURL expanded');
      }
    }
    assert.equal(counts.size, sets.length, 'each define set yields different live lines');
  });
});
