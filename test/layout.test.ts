import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './support/run.js';

/**
 * Every relative module a TypeScript file of `dir` names: `import … from`, `export … from`, `import '…'`
 * and `import('…')`, type-only imports included (madge counts them too: a circle of types is still
 * a circle for the reader). `./x.js` names `./x.ts`.
 */
function importGraph(dir: string): Map<string, string[]> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const graph = new Map<string, string[]>();
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const deps = [...text.matchAll(specifier)].map((m) => relative(dir, resolve(dir, dirname(f), m[1].replace(/\.js$/, '.ts'))));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** Each import circle once, as the files around it, starting from the first in sorted order. */
function circles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const done = new Set<string>();
  const walk = (f: string, path: string[]) => {
    const at = path.indexOf(f);
    if (at >= 0) {
      const loop = path.slice(at);
      const first = loop.indexOf([...loop].sort()[0]);
      const key = [...loop.slice(first), ...loop.slice(0, first)];
      found.set(key.join(' > '), key);
      return;
    }
    if (done.has(f) || !graph.has(f)) return;
    for (const d of graph.get(f)!) walk(d, [...path, f]);
    done.add(f);
  };
  for (const f of [...graph.keys()].sort()) walk(f, []);
  return [...found.values()];
}

describe('layout of lib/ (issue 20, item 16)', () => {
  it('has no import circle (what `npx madge --circular --extensions ts lib` checks)', () => {
    const graph = importGraph(join(ROOT, 'lib'));
    assert.ok(graph.size > 50 && graph.get('rtimer.ts')!.includes('schedule/start.ts'), 'the graph holds lib/ as it is');
    assert.deepEqual(circles(graph).map((c) => c.join(' > ')), []);
  });

  it('the check finds a circle, through type imports and folders too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-layout-'));
    try {
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b/b.js';\nexport const a = b;\n");
      writeFileSync(join(dir, 'b', 'b.ts'), "import type { C } from './c.js';\nexport const b: C = 1;\n");
      writeFileSync(join(dir, 'b', 'c.ts'), "export type { A } from '../a.js';\nexport type C = number;\n");
      writeFileSync(join(dir, 'd.ts'), "import './a.js';\nexport const d = await import('./a.js');\n");
      assert.deepEqual(circles(importGraph(dir)), [['a.ts', 'b/b.ts', 'b/c.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
