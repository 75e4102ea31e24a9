// OpenBLAS is optional at run time: the addon loads it with dlopen when the machine has it and
// otherwise runs the built-in SGEMM. Each case runs in a child process, since the library is
// looked up once per process (SCRATCHNET_OPENBLAS=none rules it out, =<file> names another).
import test from 'ava';
import * as path from 'node:path';
import { nativeBackend, nativeSkipReason } from '../helpers/backends';
import { spawnNodeSync } from '../helpers/node-command';

const lib = path.resolve(__dirname, '..', '..', 'lib');

// SimpleConvNet (convolution and Affine both go through the SGEMM) on both backends, same weights.
const script = `(() => {
const { loadNative } = require(${JSON.stringify(path.join(lib, 'backend', 'native.js'))});
const { SimpleConvNet, Tensor } = require(${JSON.stringify(path.join(lib, 'index.js'))});
const r = loadNative();
if (!r.backend) { process.stdout.write(JSON.stringify({ error: r.error })); return; }
const info = r.backend.info();
let setGemmError = null;
try { r.backend.setGemm('openblas'); } catch (e) { setGemmError = e.message; }
const x = new Float32Array(4 * 784);
for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 255) / 255;
const xs = new Tensor(x, [4, 1, 28, 28]);
const nat = new SimpleConvNet({ backend: 'native', seed: 3 }).predict(xs).data;
const ref = new SimpleConvNet({ backend: 'reference', seed: 3 }).predict(xs).data;
let maxDiff = 0;
for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(nat[i] - ref[i]));
process.stdout.write(JSON.stringify({ info, setGemmError, maxDiff }));
})();
`;

interface ChildResult {
  error?: string;
  info: { openblasFound: boolean; openblasError: string | null; openblasLibrary: string | null; gemm: string; gemmReason: string };
  setGemmError: string | null;
  maxDiff: number;
}

function runChild(env: NodeJS.ProcessEnv): ChildResult {
  const r = spawnNodeSync(['-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SCRATCHNET_SILENT: '1', ...env } });
  if (r.status !== 0) throw new Error(`child exited with ${r.status} (${r.signal}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as ChildResult;
  if (out.error) throw new Error(`the native backend did not load in the child: ${out.error}`);
  return out;
}

if (!nativeBackend) {
  test.skip(`OpenBLAS optional at run time — SKIPPED, ${nativeSkipReason}`, () => undefined);
} else {
  const nb = nativeBackend;

  test('without OpenBLAS (SCRATCHNET_OPENBLAS=none) the addon loads, uses the built-in GEMM, and computes what the reference does', (t) => {
    const o = runChild({ SCRATCHNET_OPENBLAS: 'none', SCRATCHNET_GEMM: '' });
    t.false(o.info.openblasFound);
    t.is(o.info.openblasLibrary, null);
    t.is(o.info.gemm, 'builtin');
    t.is(o.info.gemmReason, 'no OpenBLAS');
    t.regex(o.setGemmError ?? '', /OpenBLAS was not found.*libopenblas0/, 'setGemm(openblas) must refuse, naming the fix');
    t.true(o.maxDiff < 1e-4, `native vs reference scores differ by ${o.maxDiff}`);
  });

  test('a missing OpenBLAS file named by SCRATCHNET_OPENBLAS is reported, not fatal', (t) => {
    const o = runChild({ SCRATCHNET_OPENBLAS: '/nonexistent/libopenblas.so.0' });
    t.false(o.info.openblasFound);
    t.regex(o.info.openblasError ?? '', /nonexistent\/libopenblas\.so\.0/);
    t.is(o.info.gemm, 'builtin');
  });

  test('info says whether OpenBLAS was found, and the GEMM choice follows', (t) => {
    const info = nb.info();
    t.is(typeof info.openblasFound, 'boolean');
    if (info.openblasFound) {
      t.truthy(info.openblasLibrary);
      t.not(info.openblasConfig, '', 'openblas_get_config() resolved through dlsym must return the build string');
    } else {
      t.is(info.gemm, 'builtin');
      t.truthy(info.openblasError);
    }
    // CI installs libopenblas0, so there the OpenBLAS path must be the one tested.
    if (process.env.CI === 'true' && !process.env.SCRATCHNET_NATIVE_ADDON) {
      t.true(info.openblasFound, `CI=true but OpenBLAS was not found: ${info.openblasError}`);
    }
  });
}
