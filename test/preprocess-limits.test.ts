import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preprocess, type PreprocessOptions } from '../lib/config/preprocess.js';
import { DEFAULT_CONFIG_LIMITS } from '../lib/config/limits.js';
import { parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
import { RTimerConfigError } from '../lib/errors.js';
import { sleep } from './support/native.js';
import { CLI, ROOT, runNode } from './support/run.js';

/**
 * Issue 17, items 1-6: reading a kamailio.cfg does linear work with bounded memory on any input and
 * ends in a configuration or an RTimerConfigError naming the offending text. The cases that hung or
 * exhausted memory before run in a child process under a time limit and a small heap.
 */

const CHILD = fileURLToPath(new URL('./support/cfg-child.mjs', import.meta.url));
const TIMER = 'loadmodule "rtimer.so" loadmodule "tm.so" modparam("rtimer", "timer", "name=t;interval=1;mode=0;")\nmodparam("rtimer", "exec", "timer=t;route=r")\n';

interface Outcome { label: string; ms: number; ok: boolean; timers?: number; name?: string; code?: string; message?: string }

/** Reads each file with loadKamailioConfig in one child (dist/), which must finish within `timeoutMs`. */
async function readInChild(cases: { label: string; file: string; repeat?: number }[], timeoutMs: number): Promise<Outcome[]> {
  const r = await runNode(['--max-old-space-size=512', CHILD, JSON.stringify(cases)], { timeoutMs });
  assert.ok(r.code === 0 && r.stdout.trim(),
    `reading did not end within ${timeoutMs} ms in a 512 MB heap (exit ${r.code}, signal ${r.signal}): ${r.stderr.slice(-400)}`);
  return JSON.parse(r.stdout) as Outcome[];
}

const pp = (text: string, options: PreprocessOptions = {}) =>
  preprocess(text, { cwd: '/nonexistent', ...options }).lines.map((l) => l.text.trim()).filter(Boolean);

const refused = (code: string, ...words: string[]) => (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, String(err));
  assert.equal(err.code, code, err.message);
  for (const w of words) assert.ok(err.message.includes(w), `"${w}" not in: ${err.message}`);
  return true;
};

/** Ten defines, each ten of the one before: 10^10 characters from a line of three. */
const LAUGHS = ['#!define L0 ha', ...Array.from({ length: 10 }, (_, i) => `#!define L${i + 1} ${Array(10).fill(`L${i}`).join(' ')}`)].join('\n') + '\n';

let dir = '';
const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };

describe('preprocess limits (issue 17)', function () {
  this.timeout(120_000);
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-limits-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('#1 #!subst regexps: linear, leftmost-longest, as POSIX regcomp', () => {
    it('a nested quantifier against 34 "a"s and a "b" ends at once, the string unchanged', async () => {
      const file = write('subst-hang.cfg', `#!subst "/(a+)+c/x/"\n${TIMER}v="${'a'.repeat(34)}b"\n`);
      const [r] = await readInChild([{ label: 'subst', file }], 20_000);
      assert.deepEqual([r.ok, r.timers], [true, 1], r.message);
      assert.deepEqual(pp(`#!subst "/(a+)+c/x/"\nv="${'a'.repeat(34)}b"\n`), [`v="${'a'.repeat(34)}b"`]);
    });

    it('matches leftmost-longest (POSIX), not leftmost-first (Perl, JS)', () => {
      assert.deepEqual(pp('#!subst "/a|ab/X/"\nv="abc"\n'), ['v="Xc"']);
      assert.deepEqual(pp('#!subst "/(a|ab)(c|bcd)/[\\\\1,\\\\2]/"\nv="abcd"\n'), ['v="[a,bcd]"']);
    });

    it('reads the POSIX spelling: a backslash is itself in a list, "\\n" is "n", a lone ")" is itself, "a**" and "{,2}" are accepted', () => {
      // cfg strings decode "\\\\" to one backslash before the regexp sees it.
      assert.deepEqual(pp('#!subst "/[\\\\]/B/g"\nv="a\\\\b"\n'), ['v="aBb"']);
      assert.deepEqual(pp('#!subst "/\\\\n/N/g"\nv="n"\n'), ['v="N"']);
      assert.deepEqual(pp('#!subst "/a)/X/"\nv="a)"\n'), ['v="X"']);
      assert.deepEqual(pp('#!subst "/xa**/X/"\nv="xaaa"\n'), ['v="X"']);
      assert.deepEqual(pp('#!subst "/x{,2}y/Z/"\nv="xxy"\n'), ['v="Z"']);
    });

    it('keeps REG_NEWLINE: "[^a]" does not match a newline unless the s flag is given', () => {
      assert.deepEqual(pp('#!subst "/[^a]/x/g"\nv="b\\nb"\n'), ['v="x\\nx"']);
      assert.deepEqual(pp('#!subst "/[^a]/x/gs"\nv="b\\nb"\n'), ['v="xxx"']);
    });

    it('refuses what RE2 cannot run in linear time or POSIX does not have, naming the regexp', () => {
      assert.throws(() => preprocess('#!subst "/(a)\\\\1/x/"\n', { file: 'k.cfg' }),
        refused('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg:1:', 'back-reference', '(a)\\1'));
      assert.throws(() => preprocess('#!subst "/(?i)a/x/"\n', { file: 'k.cfg' }), refused('ERR_RTIMER_CONFIG_PREPROCESS', 'not POSIX', '(?i)a'));
      assert.throws(() => preprocess('#!subst "/[[:word:]]/x/"\n', { file: 'k.cfg' }), refused('ERR_RTIMER_CONFIG_PREPROCESS', 'unknown character class'));
    });

    it('bounds the searches of "g" rules whose matches each read to the end (n matches, n²/2 characters)', () => {
      const cfg = `#!subst "/a|a[^x]*x/b/g"\nv="${'a'.repeat(20_000)}"\n`;
      assert.throws(() => preprocess(cfg, { file: 'k.cfg' }),
        refused('ERR_RTIMER_CONFIG_TOO_LARGE', 'k.cfg:2:', 'a|a[^x]*x', 'limits.substSearch'));
      assert.deepEqual(pp(`#!subst "/a/b/g"\nv="${'a'.repeat(2000)}"\n`), [`v="${'b'.repeat(2000)}"`]);
    });

    it('rtimer run stops at once on SIGINT while it reads its config', async () => {
      // A config whose reading takes a while: SIGINT must end the process then, not after it.
      const lines = 'x = 1; y = "abc"; z = 2;\n'.repeat(600_000); // ~14 MB
      const file = write('slow.cfg', lines);
      const child = spawn(process.execPath, [CLI, 'run', file, '--routes', join(ROOT, 'examples/routes.mjs')], { cwd: ROOT, stdio: 'ignore' });
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      try {
        // Wait until it has read the file (its rchar passes the size), then interrupt it.
        const rchar = () => { try { return Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))![1]); } catch { return -1; } };
        for (let i = 0; i < 600 && child.exitCode === null && rchar() < lines.length; i++) await sleep(10);
        child.kill('SIGINT');
        const r = await Promise.race([closed, sleep(20_000).then(() => undefined)]);
        assert.ok(r, 'still running 20 s after SIGINT');
        assert.deepEqual(r, { code: null, signal: 'SIGINT' }, 'ended by the signal, not by the end of its reading (no timer: exit 1)');
      } finally {
        child.kill('SIGKILL');
      }
    });
  });

  describe('#2 #3 defines: linear in what they add, capped in size, nesting counted', () => {
    it('a "billion laughs" of nested defines is refused as too large, naming the define, in a bounded heap', async () => {
      // A 33 KB file whose last line is 128 MB: few expansions (4,681), each a large value.
      const laughs = [`#!define L0 ${'ha'.repeat(16_000)}`, ...[1, 2, 3, 4].map((i) => `#!define L${i} ${Array(8).fill(`L${i - 1}`).join(' ')}`)];
      const file = write('laughs.cfg', `${laughs.join('\n')}\n${TIMER}v=L4\n`);
      const [r] = await readInChild([{ label: 'laughs', file }], 30_000);
      assert.equal(r.code, 'ERR_RTIMER_CONFIG_TOO_LARGE', r.message);
      assert.match(r.message!, /laughs\.cfg:8: defines add to one line more than 1048576 characters \(expanding "L4"\)/);
    });

    it('many lines under the line cap are refused once their expansion adds up past the total', () => {
      const cfg = `${LAUGHS}${'v=L4\n'.repeat(50)}`; // ~63,000 characters added a line, 3.2 M in all
      assert.throws(() => preprocess(cfg, { file: 'k.cfg', limits: { expansion: 1_000_000 } }),
        refused('ERR_RTIMER_CONFIG_TOO_LARGE', 'k.cfg:', 'more than 1000000 characters in all', 'L4'));
      assert.equal(pp(cfg).length, 50);
    });

    it('one define used 10,001 times on a line expands, quickly and in full', () => {
      const uses = 10_001;
      const t0 = process.hrtime.bigint();
      const [line] = pp(`#!define X yz\nv=${Array(uses).fill('X').join(' ')}\n`);
      assert.equal(line, `v=${Array(uses).fill('yz').join(' ')}`);
      assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 5000, 'an order of magnitude: it took seconds before (quadratic)');
    });

    it('refuses a define that uses itself, naming the chain, and one nested deeper than limits.defineDepth', () => {
      assert.throws(() => preprocess('#!define A x B\n#!define B y C\n#!define C A\nv=A\n', { file: 'k.cfg' }),
        refused('ERR_RTIMER_CONFIG_PREPROCESS', 'k.cfg:4:', '"A" never stops expanding', 'A -> B -> C -> A'));
      const chain = Array.from({ length: 150 }, (_, i) => `#!define D${i} D${i + 1}`).join('\n');
      assert.throws(() => preprocess(`${chain}\nv=D0\n`, { file: 'k.cfg' }), refused('ERR_RTIMER_CONFIG_PREPROCESS', 'nested more than 100 deep'));
      assert.deepEqual(pp(`${chain}\nv=D0\n`, { limits: { defineDepth: 200 } }), ['v=D150']);
    });

    it('still reads a value in place, joined to what follows (strings and comments across a value end)', () => {
      assert.deepEqual(pp('#!define Q "ab\nv=Q cd"; w=1\n'), ['v="ab cd"; w=1']);
      assert.deepEqual(pp('#!define C /*\nv=1 C x */ 2\n'), ['v=1   2']);
    });
  });

  describe('#4 #5 includes and files', () => {
    it('include fan-out (11 files, each including the next 6 times) stops at limits.files', async () => {
      const includes = (i: number) => Array(6).fill(`include_file "fan${i + 1}.cfg"\n`).join('');
      for (let i = 1; i <= 10; i++) write(`fan${i}.cfg`, i === 10 ? 'x=1\n' : includes(i));
      const main = write('fan0.cfg', `${TIMER}${includes(0)}`); // 6^10 reads, 10 deep as Kamailio allows
      const [r] = await readInChild([{ label: 'fan', file: main }], 30_000);
      assert.equal(r.code, 'ERR_RTIMER_CONFIG_INCLUDE', r.message);
      assert.match(r.message!, /more than 1000 files read \(limits\.files\): ".*fan\d+\.cfg" is one too many/);
    });

    it('caps the bytes read across includes (limits.readBytes), naming the include', () => {
      const files = { '/c/big.cfg': 'x=1\n'.repeat(100) };
      const read = (p: string) => { if (p in files) return files[p as keyof typeof files]; throw new Error('ENOENT'); };
      const cfg = Array(30).fill('include_file "/c/big.cfg"\n').join('');
      assert.throws(() => preprocess(cfg, { file: 'k.cfg', readFile: read, limits: { readBytes: 10_000 } }),
        refused('ERR_RTIMER_CONFIG_TOO_LARGE', 'k.cfg:24:', 'more than 10000 bytes read', '/c/big.cfg'));
    });

    it('/proc/self/pagemap, as an include or as the main file, is read to the cap and refused', async () => {
      const inc = write('pagemap.cfg', `${TIMER}include_file "/proc/self/pagemap"\n`);
      const [asInclude, asMain] = await readInChild([{ label: 'include', file: inc }, { label: 'main', file: '/proc/self/pagemap' }], 30_000);
      assert.equal(asInclude.code, 'ERR_RTIMER_CONFIG_TOO_LARGE', asInclude.message);
      assert.match(asInclude.message!, /pagemap\.cfg:3: include_file "\/proc\/self\/pagemap": larger than 16777216 bytes/);
      assert.equal(asMain.code, 'ERR_RTIMER_CONFIG_TOO_LARGE', asMain.message);
    });
  });

  describe('#6 directives linear in their count', () => {
    it('100,000 nested true #!ifdefs, and a #!define continued over 100,000 lines', async () => {
      const n = 100_000;
      const nested = write('nested.cfg', `#!define A\n${TIMER}${'#!ifdef A\n'.repeat(n)}v=1\n${'#!endif\n'.repeat(n)}`);
      const continued = write('continued.cfg', `${TIMER}#!define LONG a\\\n${'a\\\n'.repeat(n)}a\nv=1\n`);
      const [a, b] = await readInChild([{ label: 'nested', file: nested }, { label: 'continued', file: continued }], 30_000);
      assert.deepEqual([a.ok, a.timers, b.ok, b.timers], [true, 1, true, 1], `${a.message} ${b.message}`);
      const { defines } = preprocess(`#!define LONG a\\\n${'a\\\n'.repeat(1000)}a\n`);
      assert.equal(defines.get('LONG'), 'a'.repeat(1002));
    });
  });

  describe('property: every shape, at 1 MB, costs at most 50x reading 1 MB of plain lines', () => {
    const MB = 1024 * 1024;
    /** `line(i)` repeated to about 1 MB after `head`. */
    const fill = (head: string, line: (i: number) => string, tail = '') => {
      const parts = [head];
      let size = head.length;
      for (let i = 0; size < MB; i++) { const l = line(i); parts.push(l); size += l.length; }
      return parts.join('') + tail;
    };

    it('ends each in a configuration or an RTimerConfigError, in time proportional to its size', async function () {
      this.timeout(300_000);
      const shapes: Record<string, string> = {
        plain: fill(TIMER, (i) => `modparam("tm", "fr_timer", ${i}) # a comment\n`),
        'subst: nested quantifier': fill(`#!subst "/(a+)+c/x/"\n${TIMER}`, () => `v="${'a'.repeat(60)}b";\n`),
        'subst: g matches that read to the end': fill(`#!subst "/a|a[^x]*x/b/g"\n${TIMER}`, () => `v="${'a'.repeat(1000)}";\n`),
        'defines: lines just under the line cap, to the total cap': fill(
          `#!define L0 ${'ha'.repeat(8000)}\n#!define L1 ${Array(8).fill('L0').join(' ')}\n#!define L2 ${Array(7).fill('L1').join(' ')}\n${TIMER}`,
          () => 'v=L2\n'),
        'defines: one used 10,001 times a line': fill(`#!define X yz\n${TIMER}`, () => `v=${Array(10_001).fill('X').join(' ')}\n`),
        'defines: a chain deeper than the cap': fill(TIMER, (i) => `#!define D${i} D${i + 1}\n`, 'v=D0\n'),
        'directives: nested true #!ifdefs': `#!define A\n${TIMER}${'#!ifdef A\n'.repeat(MB / 20)}v=1\n${'#!endif\n'.repeat(MB / 20)}`,
        'directives: a #!define continued over every line': `${TIMER}#!define LONG a\\\n${'a\\\n'.repeat(MB / 3)}a\n`,
        'comments: a block comment over every line': `${TIMER}/*\n${'x = 1; "a"\n'.repeat(MB / 11)}*/\n`,
        'includes: /proc/self/pagemap': `${TIMER}include_file "/proc/self/pagemap"\n`,
      };
      const includes = (i: number) => Array(6).fill(`include_file "pfan${i + 1}.cfg"\n`).join('');
      for (let i = 1; i <= 10; i++) write(`pfan${i}.cfg`, i === 10 ? 'x=1\n'.repeat(1000) : includes(i));
      const cases = Object.entries(shapes).map(([label, text], i) => ({ label, file: write(`shape-${i}.cfg`, text), repeat: 3 }));
      cases.push({ label: 'includes: fan-out 6^10', file: write('pfan0.cfg', `${TIMER}${includes(0)}`), repeat: 3 });
      cases[0].repeat = 5;
      const results = await readInChild(cases, 240_000);
      const plain = results[0];
      assert.deepEqual([plain.ok, plain.timers], [true, 1], plain.message);
      const report = results.map((r) => `${r.label}: ${r.ms.toFixed(1)} ms (${(r.ms / plain.ms).toFixed(1)}x), ${r.ok ? 'read' : r.code}`).join('\n');
      for (const r of results) {
        assert.ok(r.ok || r.name === 'RTimerConfigError', `${r.label} ended in ${r.name}: ${r.message}\n${report}`);
        assert.ok(r.ms <= 50 * plain.ms, `${r.label} took more than 50x plain\n${report}`);
      }
    });
  });

  it('limits are checked: an unknown name or a bad value is refused', () => {
    assert.throws(() => parseKamailioConfig(TIMER, { limits: { files: 0 } }), refused('ERR_RTIMER_CONFIG_TEXT', 'limits.files'));
    assert.throws(() => parseKamailioConfig(TIMER, { limits: { nope: 1 } as never }), refused('ERR_RTIMER_CONFIG_TEXT', 'unknown limit "nope"'));
    assert.equal(DEFAULT_CONFIG_LIMITS.fileBytes, 16 * 1024 * 1024);
  });
});
