import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/run.js';
import { installedProject, run } from './support/packed.js';

/**
 * Every `ts`/`js` block of README.md, as a user pastes it into an empty project that installed the
 * packed package: TS blocks compile under strict + nodenext, and every block not marked otherwise runs.
 * Marks, on a line of their own just above the block (an HTML comment, invisible on GitHub):
 *   <!-- snippet: compile-only -->  compiled, not run (needs a config file, a port, a routes module...)
 *   <!-- snippet: skip -->          neither (a fragment that cannot stand alone)
 */
export interface Snippet { line: number; lang: 'ts' | 'js'; mark: 'run' | 'compile-only' | 'skip'; code: string }

export function readmeSnippets(text: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `README.md:${i + 1}: unclosed code block`);
    const lang = ({ ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', mjs: 'js' } as const)[open[1] as 'ts'];
    if (lang) {
      let k = i - 1;
      while (k >= 0 && lines[k].trim() === '') k--;
      const m = /^<!--\s*snippet:\s*([\w-]+)\s*-->$/.exec(lines[k]?.trim() ?? '');
      if (m && !['compile-only', 'skip'].includes(m[1])) assert.fail(`README.md:${k + 1}: unknown snippet mark "${m[1]}"`);
      out.push({ line: i + 1, lang, mark: (m?.[1] ?? 'run') as Snippet['mark'], code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return out;
}

/** Runs a snippet for about `ms`: it must not fail before; one still running then is stopped (SIGINT). */
function runFor(file: string, cwd: string, ms: number): Promise<{ code: number | null; signal: string | null; out: string; err: string; early: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let early = true;
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => { early = false; child.kill('SIGKILL'); }, ms);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, out, err, early }); });
  });
}

describe('README snippets, against the packed package', function () {
  this.timeout(600_000);
  const snippets = readmeSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  let dir = '';

  before(() => {
    const project = installedProject().dir;
    dir = join(project, 'readme');
    mkdirSync(dir);
    for (const s of snippets) {
      if (s.mark !== 'skip') writeFileSync(join(dir, `line-${s.line}.${s.lang === 'ts' ? 'ts' : 'mjs'}`), `${s.code}\n`);
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: ['node'], outDir: 'out', rootDir: '.', skipLibCheck: false },
      include: ['*.ts'],
    }));
  });

  it('finds the README blocks and marks few of them', () => {
    assert.ok(snippets.filter((s) => s.lang === 'ts').length >= 5, 'TS blocks found');
    const marked = snippets.filter((s) => s.mark !== 'run');
    assert.ok(marked.length <= snippets.length / 2, `${marked.length} of ${snippets.length} blocks are marked`);
  });

  it('compiles every TS block with tsc (strict, module nodenext) against the installed typings', () => {
    const r = run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir], { cwd: dir });
    assert.equal(r.code, 0, `tsc (README.md line = file name):\n${r.out}${r.err}`);
  });

  it('runs every runnable block for about a second without an error', async () => {
    const runnable = snippets.filter((s) => s.mark === 'run');
    assert.ok(runnable.length >= 3);
    // One at a time: the machine is shared, and a snippet may start timers of a millisecond.
    for (const s of runnable) {
      const file = s.lang === 'ts' ? join(dir, 'out', `line-${s.line}.js`) : join(dir, `line-${s.line}.mjs`);
      const r = await runFor(file, dir, 1500);
      const where = `README.md:${s.line} (${s.lang})`;
      if (r.early) assert.equal(r.code, 0, `${where} exited ${r.code ?? r.signal}:\n${r.err}`);
      assert.doesNotMatch(r.err, /Error|Warning|\bat .*:\d+:\d+/, `${where} printed on stderr:\n${r.err}`);
      assert.doesNotMatch(r.out, /(^|\s)\d+n(\s|$)/m, `${where} printed a BigInt raw:\n${r.out}`);
    }
  });
});
