// Property-based tests of the configuration (issue 9): whatever the input, the parsers give a valid
// configuration or an RTimerConfigError, and a printed timer parses back to itself.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RTimerConfig } from '../lib/config/config.js';
import { parseKamailioConfig } from '../lib/config/kamailio-cfg.js';
import { toKamailioExecStrings, toKamailioString, toPtimerStrings } from '../lib/config/kamailio-string.js';
import type { TimerConfig, TimerSpec } from '../lib/config/types.js';
import { RTimerConfigError } from '../lib/errors.js';
import { withModules } from './support/run.js';


const RUNS = { numRuns: 2000 };
const UNIT_US = { s: 1_000_000, ms: 1_000, us: 1 } as const;

/** The invariants every resolved timer keeps, whatever produced it. */
function assertValidTimer(t: TimerConfig): void {
  // Kamailio's parameter parser reads any name without blanks, control characters, quotes, ";", "," or "=" (issue 19).
  assert.match(t.name, /^[^\s;,="'\x00-\x1f\x7f]+$/u);
  assert.ok(t.mode === 'inline' || (Number.isInteger(t.mode) && t.mode >= 0 && t.mode <= 1024), `mode ${t.mode}`);
  assert.ok(t.unit in UNIT_US, `unit ${t.unit}`);
  assert.ok(Number.isInteger(t.interval) && t.interval >= 1 && t.interval <= 0xffff_ffff, `interval ${t.interval}`);
  assert.equal(t.intervalUs, t.interval * UNIT_US[t.unit]);
  assert.ok(Number.isSafeInteger(t.intervalUs));
  if (t.mode === 0) assert.equal(t.unit, 's', 'a sub-second timer never runs on the main timer');
  assert.ok(['skip', 'burst', 'delay'].includes(t.policy));
  for (const r of [...t.routes, t.start ?? 'x', t.end ?? 'x']) assert.ok(typeof r === 'string' && r !== '' && r === r.trim());
  assert.ok(Number.isInteger(t.ntasks) && t.ntasks >= 0 && t.ntasks <= 0xffff_ffff, `ntasks ${t.ntasks}`);
  assert.ok(Number.isInteger(t.nslices) && t.nslices >= 1 && t.nslices <= 0xffff_ffff, `nslices ${t.nslices}`);
  if (t.type !== undefined) {
    assert.ok([0, 1, 2, 3].includes(t.type), `type ${t.type}`);
    assert.ok(typeof t.mode === 'number' && t.mode >= 1, 'a ptimer timer runs in nworkers processes');
    assert.equal(t.routes.length, 1, 'a ptimer timer has exactly one loop route');
  }
}

/** Runs `fn`: it may return or throw an RTimerConfigError, nothing else. */
function configOrConfigError(fn: () => RTimerConfig): void {
  let config: RTimerConfig;
  try {
    config = fn();
  } catch (err) {
    if (err instanceof RTimerConfigError) return;
    throw err;
  }
  let timers: TimerConfig[];
  try {
    timers = config.resolve();
  } catch (err) {
    if (err instanceof RTimerConfigError) return;
    throw err;
  }
  timers.forEach(assertValidTimer);
}

const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const fromTokens = (tokens: string[]) => fc.array(fc.constantFrom(...tokens), { maxLength: 24 }).map((a) => a.join(''));
const digits = ['0', '1', '7', '10', '120', '4294967295', '4294967296', '99999999999999999999'];
const paramText = fc.oneof(anyText, fromTokens([
  'name=', 'mode=', 'interval=', 'timer=', 'route=', 'ntasks=', 'nslices=', 'type=', 'nworkers=', ';', '=', 'u', 'us', 'ms', 's', 'S', 'MS', 'm',
  '"', "'", ' ', '\t', '\n',
  'inline', 'INLINE', 'ta', 'T.b-1_', 'R', '-', '.', ...digits,
]));
const cfgText = fc.oneof(anyText, fromTokens([
  'modparam', '(', ')', ',', ' ', '\n', '"rtimer"', "'rtimer'", '"RTIMER"', '"timer"', '"exec"', '"default_interval"',
  '"name=ta;interval=1"', '"name=tb;mode=2;interval=10ms"', '"timer=ta;route=R"', '"name=ta"', '"', "'", '\\', '#', '//', '/*', '*/',
  '#!define X', '\0', '\uD800', '-', ...digits,
  '"ptimer"', '"loop"', '"start"', '"end"', '"default_type"', '"default_nworkers"', '"timer=ta;route=L"',
  '#!ifdef X\n', '#!else\n', '#!endif\n', '#!ifndef X\n', '#!define X\n',
]), paramText.map((p) => `modparam("rtimer", "timer", "${p.replace(/["\\]/g, '\\$&')}")\n`),
paramText.map((p) => `modparam("ptimer", "timer", "${p.replace(/["\\]/g, '\\$&')}")\n` +
  'modparam("ptimer", "loop", "timer=ta;route=L")\n'));

describe('configuration properties (fast-check)', function () {
  this.timeout(60_000);

  it('timer(string) gives a valid timer or an RTimerConfigError, for any string', () => {
    fc.assert(fc.property(paramText, (s) => configOrConfigError(() => new RTimerConfig().timer(s))), RUNS);
  });

  it('exec(string) gives a valid exec or an RTimerConfigError, for any string', () => {
    fc.assert(fc.property(paramText, (s) => configOrConfigError(() => new RTimerConfig().timer('name=ta').exec(s))), RUNS);
  });

  it('parseKamailioConfig gives a valid configuration or an RTimerConfigError, for any text', () => {
    fc.assert(fc.property(cfgText, (s) => configOrConfigError(() => parseKamailioConfig(withModules(s)))), RUNS);
  });

  it('timer() and exec() with any value give a valid configuration or an RTimerConfigError', () => {
    const anyField = fc.oneof(fc.anything({ withBigInt: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true }),
      fc.constantFrom('inline', '10ms', 'burst', 'own', 'rr', true, 0, 2, [0], { budget: 0.1 }, 'start', 'end', 'tick', 2 ** 32));
    const keys = ['name', 'interval', 'mode', 'policy', 'maxBurst', 'precision', 'thread', 'priority', 'schedPolicy', 'cpus',
      'lockMemory', 'stagger', 'ntasks', 'nslices', 'timer', 'route', 'on', 'other'];
    const spec = fc.oneof(anyField, fc.dictionary(fc.constantFrom(...keys), anyField, { maxKeys: 6 }),
      fc.record({ name: fc.constantFrom('ta', 'x y'), interval: anyField, mode: anyField }, { requiredKeys: ['name'] }));
    fc.assert(fc.property(spec, spec, (t, e) => {
      configOrConfigError(() => new RTimerConfig().timer(t as TimerSpec));
      configOrConfigError(() => new RTimerConfig().timer('name=ta').exec(e as never));
    }), RUNS);
  });

  const name = fc.stringMatching(/^[A-Za-z0-9_.#@:+\/-]{1,12}$/);
  const spaces = fc.constantFrom('', ' ', '  ');
  const interval = fc.oneof(
    fc.integer({ min: 1, max: 0xffff_ffff }),
    fc.tuple(spaces, fc.integer({ min: 1, max: 0xffff_ffff }), fc.constantFrom('', 's', 'S', 'ms', 'Ms', 'u', 'U', 'us', 'uS'), spaces)
      .map(([a, n, u, b]) => `${a}${n}${u}${b}`),
  );
  const mode = fc.option(fc.oneof(fc.integer({ min: 0, max: 1024 }), fc.constant('inline' as const)), { nil: undefined });
  const route = fc.string({ minLength: 1, maxLength: 12 }).map((r) => r.trim())
    .filter((r) => r !== '' && !(r.includes('"') && r.includes("'")) && !r.endsWith('\\'));
  const count = fc.oneof(fc.constantFrom(1, 2, 0xffff_ffff), fc.integer({ min: 1, max: 0xffff_ffff }));
  const typed = fc.record({ name, interval, mode, ntasks: fc.oneof(fc.constant(0), count), nslices: count },
    { requiredKeys: ['name'] });
  const withoutSource = ({ source: _s, ...t }: TimerConfig) => t;

  it('a typed timer, resolved, printed as a Kamailio string and parsed again, is the same timer', () => {
    fc.assert(fc.property(typed, fc.array(route, { maxLength: 3 }), (spec, routes) => {
      const config = new RTimerConfig().timer(spec);
      for (const r of routes) config.exec({ timer: spec.name, route: r });
      const [timer] = config.resolve();
      const text = toKamailioString(timer);
      const again = new RTimerConfig().timer(text);
      for (const e of toKamailioExecStrings(timer)) again.exec(e);
      assert.deepEqual(withoutSource(again.resolve()[0]), withoutSource(timer));
      const cfg = [`modparam("rtimer", "timer", "${text}")`,
        ...toKamailioExecStrings(timer).map((e) => `modparam("rtimer", "exec", "${e.replace(/["\\]/g, '\\$&')}")`)].join('\n');
      assert.deepEqual(withoutSource(parseKamailioConfig(withModules(cfg)).resolve()[0]), withoutSource(timer));
    }), RUNS);
  });

  it('a ptimer timer, printed as ptimer parameters and parsed again, is the same timer', () => {
    const ptimerSpec = fc.record({
      name, type: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      interval: fc.option(fc.tuple(fc.integer({ min: 1, max: 0xffff_ffff }), fc.constantFrom('', 's', 'ms', 'us', 'm', 'u'))
        .map(([n, u]) => `${n}${u}`), { nil: undefined }),
      nworkers: fc.option(fc.integer({ min: 1, max: 1024 }), { nil: undefined }),
      ntasks: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
      nslices: fc.option(count, { nil: undefined }),
      start: fc.option(route, { nil: undefined }), loop: route, end: fc.option(route, { nil: undefined }),
    });
    const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;
    fc.assert(fc.property(ptimerSpec, (p) => {
      const keys = (['type', 'interval', 'nworkers', 'ntasks', 'nslices'] as const).filter((k) => p[k] !== undefined)
        .map((k) => `;${k}=${p[k]}`).join('');
      // A route with ";", "=" or "'" is quoted for the parameter parser; one with '"' is left out.
      // ... and one ending with a backslash, which would escape the closing quote.
      fc.pre(![p.start, p.loop, p.end].some((r) => r?.includes('"') || r?.endsWith('\\')));
      const value = (r: string) => (/[;=',>\s]/.test(r) ? `"${r}"` : r);
      const hook = (h: 'start' | 'loop' | 'end', r: string | undefined) =>
        r === undefined ? [] : [`modparam("ptimer", "${h}", ${q(`timer=${p.name};route=${value(r)}`)})`];
      const text = [`modparam("ptimer", "timer", ${q(`name=${p.name}${keys}`)})`,
        ...hook('start', p.start), ...hook('loop', p.loop), ...hook('end', p.end)].join('\n');
      const [timer] = parseKamailioConfig(withModules(text)).resolve();
      assertValidTimer(timer);
      const printed = toPtimerStrings(timer);
      const again = [`modparam("ptimer", "timer", ${q(printed.timer)})`,
        ...(['start', 'loop', 'end'] as const).filter((h) => printed[h] !== undefined)
          .map((h) => `modparam("ptimer", "${h}", ${q(printed[h]!)})`)].join('\n');
      assert.deepEqual(withoutSource(parseKamailioConfig(withModules(again)).resolve()[0]), withoutSource(timer));
    }), RUNS);
  });

  it('a typed timer with options only the typed form has is refused by the printer, never misprinted', () => {
    const native = fc.record({
      name, interval: fc.constantFrom('1ms', '20ms', '100u'), mode: fc.constantFrom(2, 'inline' as const),
      policy: fc.constantFrom('burst', 'delay' as const), precision: fc.constant(true),
    }, { requiredKeys: ['name', 'interval', 'mode'] });
    fc.assert(fc.property(native, (spec) => {
      const [timer] = new RTimerConfig().timer(spec).resolve();
      let text: string;
      try {
        text = toKamailioString(timer);
      } catch (err) {
        assert.ok(err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_NO_STRING_FORM', String(err));
        return;
      }
      assert.deepEqual(withoutSource(new RTimerConfig().timer(text).resolve()[0]), withoutSource(timer));
    }), { numRuns: 200 });
  });
});
