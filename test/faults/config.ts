// Fault-matrix cases for this part of the library (see test/faults.test.ts): configuration input
// that is hostile or malformed must end as an RTimerConfigError (or a usage error), never a raw
// exception, a silent empty configuration, or a change to a running timer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RTimer, RTimerConfig, RTimerConfigError, loadKamailioConfig, parseKamailioConfig } from '../../lib/index.js';
import { CLI, runNode } from '../support/run.js';

const isConfigError = (err: unknown) => {
  assert.ok(err instanceof RTimerConfigError, `expected an RTimerConfigError, got ${String(err)}`);
  return true;
};

describe('faults: config', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-faults-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('#18: hostile typed values to timer() and exec() are RTimerConfigErrors', () => {
    const circular: Record<string, unknown> = { name: 'c' };
    circular.me = circular;
    const evilString = { toString() { throw new Error('no'); }, [Symbol.toPrimitive]() { throw new Error('no'); } };
    const proxy = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
    const specs: unknown[] = [
      { name: 'a', interval: 10n }, circular, Object.create(null), { name: 'a', interval: [10] }, { name: 'a', mode: [2] },
      { name: evilString }, { name: 'a', interval: evilString }, { name: 'a', mode: 'inline', cpus: evilString }, proxy,
      { name: 'a', mode: 'inline', precision: proxy }, 42, Symbol('t'), () => 'name=a',
    ];
    for (const spec of specs) assert.throws(() => new RTimerConfig().timer(spec as never), isConfigError);
    for (const spec of [{ timer: 'a', route: 'R', extra: 1 }, { timer: 'a', route: 10n }, proxy, circular, [1]]) {
      assert.throws(() => new RTimerConfig().exec(spec as never), isConfigError);
    }
  });

  it('#18: the configuration of a started RTimer cannot change under it', async () => {
    const rt = new RTimer({ routes: { R() {} } });
    rt.timer('name=a;interval=1').exec('timer=a;route=R');
    await rt.start();
    try {
      assert.throws(() => rt.config.exec({ timer: 'a', route: 'MISSING' }), { code: 'ERR_RTIMER_RUNNING' });
      assert.throws(() => rt.config.setDefaultInterval(1), { code: 'ERR_RTIMER_RUNNING' });
      assert.deepEqual(rt.stats().map((s) => s.name), ['a']);
    } finally {
      await rt.stop();
    }
  });

  it('#19: native-only options on a mode 0 timer are refused, not ignored', () => {
    for (const option of ['policy', 'precision', 'thread', 'priority', 'cpus', 'lockMemory', 'stagger']) {
      const value = { policy: 'burst', precision: true, thread: 'own', priority: 5, cpus: [0], lockMemory: true, stagger: true }[option];
      assert.throws(() => new RTimerConfig().timer({ name: 'm0', interval: 1, [option]: value }),
        (err: unknown) => isConfigError(err) && (err as Error).message.includes(`"${option}"`) && (err as Error).message.includes('"m0"'));
    }
  });

  it('#16: config files with NUL bytes, invalid UTF-8 or a parenthesis in the name', () => {
    const nul = join(dir, 'nul.cfg');
    writeFileSync(nul, 'modparam("rtimer", "timer", "name=a\0")\n');
    assert.throws(() => loadKamailioConfig(nul), { code: 'ERR_RTIMER_CONFIG_ENCODING', line: 1 });
    const binary = join(dir, 'binary.cfg');
    writeFileSync(binary, Buffer.from([0x23, 0x0a, 0xc3, 0x28, 0x0a]));
    assert.throws(() => loadKamailioConfig(binary), { code: 'ERR_RTIMER_CONFIG_ENCODING', line: 2 });
    assert.throws(() => loadKamailioConfig(join(dir, 'absent(1).cfg')), { code: 'ERR_RTIMER_CONFIG_READ' });
    assert.throws(() => parseKamailioConfig('modparam("rtimer", "timer", "name=a")\0'), { code: 'ERR_RTIMER_CONFIG_ENCODING' });
  });

  it('#16 #21: the CLI refuses a missing file with a parenthesis (1) and an unknown flag (2)', async () => {
    const [missing, flag] = await Promise.all([runNode([CLI, 'check', 'kam(1).cfg']), runNode([CLI, 'check', 'kam.cfg', '--verbose'])]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /cannot read config "kam\(1\)\.cfg"/);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /--verbose/);
  });

  it('review: a device as include or main file is an RTimerConfigError at once, not an endless read', () => {
    const file = join(dir, 'dev.cfg');
    assert.throws(() => parseKamailioConfig('include_file "/dev/zero"\n', { file }),
      (e: unknown) => isConfigError(e) && (e as RTimerConfigError).file === file && (e as RTimerConfigError).line === 1);
    assert.throws(() => loadKamailioConfig('/dev/zero'), isConfigError);
  });

  it('review: run --duration past 2^32-1 s is a usage error (2) naming it', async () => {
    const big = await runNode([CLI, 'run', 'examples/kamailio.cfg', '--routes', 'examples/routes.mjs', '--duration', '5000000000s']);
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stderr, /"5000000000s" is too long/);
  });
});
