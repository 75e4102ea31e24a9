// Whether the native addon loaded. On CI (CI=true) a missing addon is a failure with the
// loader's reason; elsewhere it is a visible skip, since scratchnet still works on the reference
// backend. When loaded, the addon must provide every kernel of the Backend contract.
import test from 'ava';
import * as path from 'node:path';
import { loadNative, nativeBackendFor } from '../lib/backend/native';
import { referenceBackend } from '../lib/backend/reference';
import { emulated, spawnNodeSync } from './helpers/node-command';

const r = loadNative();

if (r.backend) {
  const nb = r.backend;
  test('the native backend loaded and implements every kernel of the contract', (t) => {
    t.is(nb.name, 'native');
    const missing = Object.keys(referenceBackend).filter(
      (k) => k !== 'name' && typeof (nb as unknown as Record<string, unknown>)[k] !== 'function');
    t.deepEqual(missing, [], `the addon lacks: ${missing.join(', ')}`);
  });
} else if (process.env.CI === 'true') {
  test('the native backend loaded (required on CI)', (t) => {
    t.fail(`CI=true but the native backend did not load:\n${r.error}`);
  });
} else {
  test.skip(`the native backend loaded — SKIPPED (set CI=true to make this fail): ${r.error?.split('\n').join(' ')}`, () => undefined);
}

// SIMD dispatch: the widest target this CPU runs by default, SCRATCHNET_SIMD forces a lower one,
// a target it cannot run (or no target at all) is refused with a warning naming the ones it can.
if (r.backend) {
  const nb = r.backend;
  const childInfo = (simd: string) => spawnNodeSync(['-e', `
      const { loadNative } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'backend', 'native.js'))});
      const r = loadNative();
      process.stdout.write(JSON.stringify(r.backend ? r.backend.info() : { error: r.error }));
    `], { encoding: 'utf8', env: { ...process.env, SCRATCHNET_SIMD: simd, SCRATCHNET_SILENT: '' }, timeout: 60_000 });

  test('the default SIMD target is the widest this CPU runs, and every target the CPU runs is registered', (t) => {
    const info = nb.info();
    t.true(info.supportedTargets.length >= 1);
    t.true(info.supportedTargets.every((s) => info.compiledTargets.includes(s)));
    if (!process.env.SCRATCHNET_SIMD) t.is(nb.simd, info.supportedTargets[0]);
    t.is(info.simd, nb.simd);
    for (const s of info.supportedTargets) t.is(nativeBackendFor(s).info().simd, s);
    const notRunnable = info.compiledTargets.filter((s) => !info.supportedTargets.includes(s));
    for (const s of notRunnable) t.throws(() => nativeBackendFor(s), { message: /this CPU cannot run it/ });
  });

  test('SCRATCHNET_SIMD forces each lower target, and a wrong one is refused with a warning', (t) => {
    const targets = nb.info().supportedTargets;
    for (const s of targets) {
      const out = childInfo(s);
      t.is(out.status, 0, out.stderr);
      t.is(JSON.parse(out.stdout).simd, s);
    }
    const bad = childInfo('avx1024');
    t.is(bad.status, 0, bad.stderr);
    t.is(JSON.parse(bad.stdout).simd, targets[0]);
    t.regex(bad.stderr, /SCRATCHNET_SIMD=avx1024 is not a SIMD target of this addon; the targets this CPU runs are/);
  });

  test('the GEMM was chosen by measuring both on this target, and setGemm switches it', (t) => {
    const info = nb.info();
    if (!info.openblasFound) {
      // OpenBLAS is loaded at run time when the machine has it; without it there is no choice.
      t.is(info.gemmReason, 'no OpenBLAS');
      t.is(info.gemm, 'builtin');
      t.throws(() => nb.setGemm('openblas'), { message: /OpenBLAS was not found/ });
      return;
    }
    if (process.env.SCRATCHNET_GEMM) {
      t.is(info.gemmReason, 'SCRATCHNET_GEMM');
    } else {
      t.is(info.gemmReason, 'measured');
      t.true((info.gemmTiming?.builtinMs ?? 0) > 0 && (info.gemmTiming?.openblasMs ?? 0) > 0);
    }
    const before = info.gemm;
    nb.setGemm('builtin');
    t.is(nb.info().gemm, 'builtin');
    nb.setGemm('openblas');
    t.is(nb.info().gemm, 'openblas');
    nb.setGemm(before);
  });

  test('fmaPeak measures a plausible FMA rate', (t) => {
    const g = nb.fmaPeak(0.05);
    // any x86-64 or arm64 core of the last 15 years does > 1 GFLOP/s; none 2 cores do > 10 TFLOP/s
    // (under qemu-user, scripts/test-arm64.sh, ~0.04: there only a positive rate is asked for)
    t.true(g > (emulated ? 0 : 1) && g < 10_000, `fmaPeak returned ${g}`);
  });
}
