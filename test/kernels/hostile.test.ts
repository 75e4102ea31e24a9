// Hostile arguments: every native export, every argument, wrong types, lengths, sizes and
// geometries. Each call must throw TypeError/RangeError naming the function and the argument,
// and never crash the process (the battery also runs in a child process whose exit code is checked).
import test from 'ava';
import * as path from 'node:path';
import { loadedAddonPath } from '../../lib/backend/native';
import { spawnNodeSync } from '../helpers/node-command';
import { nativeBackend, nativeBackends, nativeSkipReason, reference } from '../helpers/backends';
import { SPECS, checkCase, checkValid, hostileCases, kernelsOf } from '../helpers/hostile';
import type { Kernels } from '../helpers/hostile';

// The file the loader picked (a local build, the prebuilt one, or SCRATCHNET_NATIVE_ADDON).
const addonPath = loadedAddonPath() ?? '';

if (!nativeBackend) {
  test.skip(`hostile arguments against the native addon — SKIPPED, ${nativeSkipReason}`, () => undefined);
} else {
  // The raw exports, not the loader's copy (which adds `name`), once per SIMD target: the
  // bindings are compiled per target too.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const raw = require(addonPath) as Kernels;
  const targets = nativeBackends.map((b) => b.simd);

  test('every native export has hostile-argument tests, and every tested export exists', (t) => {
    for (const target of targets) {
      const addon = kernelsOf(raw, target);
      const exported = Object.keys(addon).sort();
      const untested = exported.filter((k) => !(k in SPECS));
      const missing = Object.keys(SPECS).filter((k) => !(k in addon));
      t.deepEqual(untested, [], `${target}: exports without hostile tests (add them to test/helpers/hostile.ts SPECS): ${untested.join(', ')}`);
      t.deepEqual(missing, [], `${target}: SPECS lists functions the addon does not export: ${missing.join(', ')}`);
    }
  });

  for (const target of targets) for (const fn of Object.keys(SPECS)) {
    const addon = kernelsOf(raw, target);
    if (!(fn in addon)) continue;
    test(`hostile arguments: native ${target} ${fn}`, (t) => {
      const spec = SPECS[fn];
      const bad = checkValid(addon, fn, spec);
      t.is(bad, null, bad ?? '');
      const cases = hostileCases(fn, spec, addon, { acceptsFloat64: false });
      const failures = cases.map((c) => checkCase(addon, c)).filter((r): r is string => r !== null);
      t.deepEqual(failures, [], `${failures.length} of ${cases.length} hostile calls misbehaved:\n${failures.join('\n')}`);
      if (spec.args.length > 0) t.true(cases.length >= 10, `${fn}: only ${cases.length} hostile cases generated`);
    });
  }

  test('the hostile battery in a child process exits with code 0', (t) => {
    // Written with plain requires: the child loads the compiled helper next to this file.
    const helper = path.join(__dirname, '..', 'helpers', 'hostile.js');
    const script = `
      const { runBattery, kernelsOf } = require(${JSON.stringify(helper)});
      const raw = require(${JSON.stringify(addonPath)});
      const r = { cases: 0, failures: [] };
      for (const target of Object.keys(raw.targets)) {
        const one = runBattery(kernelsOf(raw, target), { acceptsFloat64: false });
        r.cases += one.cases;
        r.failures.push(...one.failures.map((f) => target + ': ' + f));
      }
      process.stdout.write(JSON.stringify(r));
    `;
    const r = spawnNodeSync(['-e', script], { encoding: 'utf8', timeout: 120_000 });
    t.is(r.status, 0, `child exited with status ${r.status}, signal ${r.signal}; stderr:\n${r.stderr}`);
    const out = JSON.parse(r.stdout || '{"cases":0,"failures":["no output"]}') as { cases: number; failures: string[] };
    t.true(out.cases > 500, `only ${out.cases} cases ran in the child`);
    t.deepEqual(out.failures, [], out.failures.join('\n'));
  });
}

// The reference backend rejects the same calls the same way (it accepts Float64Array too).
test('hostile arguments: the reference backend rejects the same calls', (t) => {
  const ref = reference as unknown as Kernels;
  let total = 0;
  const failures: string[] = [];
  for (const fn of Object.keys(SPECS)) {
    if (typeof ref[fn] !== 'function') continue;
    const bad = checkValid(ref, fn, SPECS[fn]);
    if (bad) failures.push(bad);
    for (const c of hostileCases(fn, SPECS[fn], ref, { acceptsFloat64: true })) {
      total++;
      const r = checkCase(ref, c);
      if (r) failures.push(r);
    }
  }
  t.true(total > 500, `only ${total} cases`);
  t.deepEqual(failures, [], `${failures.length} of ${total}:\n${failures.join('\n')}`);
});

// The battery itself must be able to fail: a kernel that checks nothing, or throws a plain
// Error, or names no argument, is reported.
test('the hostile battery reports lax functions', (t) => {
  const lax: Kernels = {
    reluForward: () => undefined,
    reluBackward: () => { throw new Error('reluBackward: bad'); },
    sigmoidForward: () => { throw new TypeError('something is wrong'); },
  };
  for (const fn of Object.keys(lax)) {
    const cases = hostileCases(fn, SPECS[fn], lax, { acceptsFloat64: false });
    const failures = cases.map((c) => checkCase(lax, c)).filter((r) => r !== null);
    t.is(failures.length, cases.length, `${fn}: ${failures.length} of ${cases.length} cases reported`);
  }
});
