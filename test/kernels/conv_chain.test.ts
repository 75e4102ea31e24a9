// Inference through a run of fused blocks image by image (convChainForward): on each native SIMD
// path it must equal the blocks' own kernels (convReluForward, convReluPoolForward without
// winners) called one after another, to the bit, and the reference within rounding; on random
// runs (1–4 layers, stride, padding, odd sizes, pooled or not, batch 1) and the book networks'
// runs. Both backends refuse the same malformed runs with errors that name the layer.
import type { ExecutionContext } from 'ava';
import type { Backend, ChainLayer, ConvGeometry, PoolGeometry } from '../../lib/backend/types';
import type { NativeBackend } from '../../lib/backend/native';
import { convGeometry, poolGeometry } from '../../lib/tensor/shape';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, intIn, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

interface Run { x: Float32Array; layers: ChainLayer[]; outLength: number; what: string }

function outShape(g: ConvGeometry, p: PoolGeometry | null): number[] {
  return p ? [p.n, p.c, p.oh, p.ow] : [g.n, g.f, g.oh, g.ow];
}

/** One layer on input (n, c, h, w): He-scaled weights, so values stay in range through the run. */
function layer(rng: Rng, input: number[], filters: number, k: number, stride: number, pad: number, pool: number): ChainLayer {
  const g = convGeometry('chain', input, { filters, kh: k, kw: k, stride, pad });
  const ckk = g.c * k * k;
  const p = pool > 0 ? poolGeometry('chain pool', [g.n, g.f, g.oh, g.ow], { ph: pool, pw: pool, stride: pool, pad: 0 }) : null;
  return { w: randn32(rng, g.f * ckk, Math.sqrt(2 / ckk)), b: randn32(rng, g.f, 0.1), g, p };
}

/** Images with rows of zeros (as handwriting has), which some kernels skip. */
function images(rng: Rng, n: number, c: number, h: number, w: number): Float32Array {
  const x = randn32(rng, n * c * h * w);
  for (let r = 0; r < n * c * h; r++) if (rng.int(3) === 0) x.fill(0, r * w, (r + 1) * w);
  return x;
}

function finish(rng: Rng, input: number[], layers: ChainLayer[], what: string): Run {
  const last = layers[layers.length - 1];
  return { x: images(rng, input[0], input[1], input[2], input[3]), layers, outLength: outShape(last.g, last.p).reduce((a, d) => a * d, 1), what };
}

/** A random run of 1–4 layers. */
function randomRun(rng: Rng): Run {
  const input = [1 + rng.int(3), 1 + rng.int(4), intIn(rng, 5, 30), intIn(rng, 5, 30)];
  const layers: ChainLayer[] = [];
  let shape = input;
  const count = 1 + rng.int(4);
  for (let s = 0; s < count; s++) {
    const k = [1, 2, 3, 5][rng.int(4)];
    const pad = rng.int(3);
    const stride = rng.int(4) === 0 ? 2 : 1;
    if (shape[2] + 2 * pad < k || shape[3] + 2 * pad < k) break;
    const oh = Math.floor((shape[2] + 2 * pad - k) / stride) + 1, ow = Math.floor((shape[3] + 2 * pad - k) / stride) + 1;
    const pool = oh >= 2 && ow >= 2 && rng.int(2) === 0 ? 2 : 0;
    const filters = rng.int(3) === 0 ? 16 * (1 + rng.int(2)) : intIn(rng, 1, 13);
    const l = layer(rng, shape, filters, k, stride, pad, pool);
    layers.push(l);
    shape = outShape(l.g, l.p);
  }
  if (layers.length === 0) layers.push(layer(rng, input, 3, 1, 1, 0, 0));
  return finish(rng, input, layers, `${layers.length} layer(s) on (${input.join(', ')}): ` +
    layers.map((l) => `${l.g.f}×${l.g.kh}×${l.g.kw} s${l.g.stride} p${l.g.pad}${l.p ? ' pool' : ''}`).join(' → '));
}

/** DeepConvNet's six layers and LeNet5's two, at batch n. */
function bookRuns(rng: Rng, n: number): Run[] {
  const dc: ChainLayer[] = [];
  let shape = [n, 1, 28, 28];
  for (const [f, pad, pool] of [[16, 1, 0], [16, 1, 2], [32, 1, 0], [32, 2, 2], [64, 1, 0], [64, 1, 2]]) {
    const l = layer(rng, shape, f, 3, 1, pad, pool);
    dc.push(l);
    shape = outShape(l.g, l.p);
  }
  const c1 = layer(rng, [n, 1, 28, 28], 6, 5, 1, 2, 2);
  const c2 = layer(rng, outShape(c1.g, c1.p), 16, 5, 1, 0, 2);
  return [finish(rng, [n, 1, 28, 28], dc, `DeepConvNet's six layers, batch ${n}`), finish(rng, [n, 1, 28, 28], [c1, c2], `LeNet5's two blocks, batch ${n}`)];
}

/** The run through the blocks' own kernels, one after another. */
function oneByOne(b: Backend, run: Run): Float32Array {
  let src = run.x;
  for (const l of run.layers) {
    const dst = new Float32Array(outShape(l.g, l.p).reduce((a, d) => a * d, 1)).fill(NaN);
    if (l.p) b.convReluPoolForward(src, l.w, l.b, l.g, l.p, dst, null);
    else b.convReluForward(src, l.w, l.b, l.g, dst);
    src = dst;
  }
  return src;
}

function chained(b: Backend, run: Run): Float32Array {
  const out = new Float32Array(run.outLength).fill(NaN);
  b.convChainForward(run.x, run.layers, out);
  return out;
}

function check(t: ExecutionContext, nb: Backend, ref: Backend, run: Run, note: string): void {
  const out = chained(nb, run);
  assertEqualArrays(t, 'out', out, oneByOne(nb, run), `${run.what}, ${note}: against the blocks one by one`);
  assertClose(t, 'out', out, chained(ref, run), GEMM_TOL, `${run.what}, ${note}: against the reference`);
}

nativeVsReference('convChainForward equals the blocks\' kernels one after another to the bit, and the reference within rounding: random runs of 1–4 layers and the book networks\'', (t, nb, ref, threads) => {
  const rng = new Rng(900 + threads);
  for (let i = 0; i < 24; i++) check(t, nb, ref, randomRun(rng), `${threads} thread(s)`);
  for (const n of [1, 3]) for (const run of bookRuns(rng, n)) check(t, nb, ref, run, `${threads} thread(s)`);
});

nativeVsReference('convChainForward with each GEMM keeps the blocks\' bits (OpenBLAS and the built-in one choose different per-image paths)', (t, nb, ref, threads) => {
  const native = nb as NativeBackend;
  const before = native.info().gemm;
  const rng = new Rng(950 + threads);
  try {
    for (const gemm of native.info().openblasFound ? (['openblas', 'builtin'] as const) : (['builtin'] as const)) {
      native.setGemm(gemm);
      for (const run of bookRuns(rng, 2)) check(t, nb, ref, run, `GEMM ${gemm}, ${threads} thread(s)`);
    }
  } finally {
    native.setGemm(before);
  }
});

eachBackend('convChainForward refuses a malformed run, naming the layer, what was expected and what came', (t, b) => {
  const rng = new Rng(5);
  const [dc] = bookRuns(rng, 2);
  const out = new Float32Array(dc.outLength);
  const with_ = (s: number, change: Partial<ChainLayer>) => dc.layers.map((l, i) => (i === s ? { ...l, ...change } : l));
  t.throws(() => b.convChainForward(dc.x, [], out), { instanceOf: RangeError, message: /'layers' must hold 1 to 16 layers, received 0/ });
  const many = Array.from({ length: 17 }, () => layer(rng, [2, 1, 4, 4], 1, 1, 1, 0, 0));
  t.throws(() => b.convChainForward(new Float32Array(32), many, new Float32Array(32)), { instanceOf: RangeError, message: /received 17\. Fix: run the layers in several calls/ });
  t.throws(() => b.convChainForward(dc.x, dc.layers[0] as unknown as ChainLayer[], out), { instanceOf: TypeError, message: /expected an Array of layers/ });
  t.throws(() => b.convChainForward(dc.x, [dc.layers[0], dc.layers[2]], new Float32Array(2 * 32 * 28 * 28)),
    { instanceOf: RangeError, message: /layers\[1\] must read what layers\[0\] writes, \(2, 16, 28, 28\), but its g describes an input of \(2, 16, 14, 14\)/ });
  t.throws(() => b.convChainForward(dc.x, with_(3, { w: new Float32Array(5) }), out), { instanceOf: RangeError, message: /'layers\[3\]\.w' must have 9216 elements/ });
  t.throws(() => b.convChainForward(dc.x, with_(0, { b: [1, 2] as unknown as Float32Array }), out), { instanceOf: TypeError, message: /layers\[0\]\.b/ });
  const p = dc.layers[1].p as PoolGeometry;
  t.throws(() => b.convChainForward(dc.x, with_(1, { p: { ...p, c: 8 } }), out), { instanceOf: RangeError, message: /layers\[1\]\.p\.c is 8 and layers\[1\]\.g\.f is 16/ });
  t.throws(() => b.convChainForward(dc.x, with_(4, { g: { ...dc.layers[4].g, oh: 9 } }), out), { instanceOf: RangeError, message: /layers\[4\]\.g\.oh must be/ });
  t.throws(() => b.convChainForward(dc.x, dc.layers, new Float32Array(3)), { instanceOf: RangeError, message: /'out' must have 2048 elements/ });
  t.throws(() => b.convChainForward(dc.x.subarray(1), dc.layers, out), { instanceOf: RangeError, message: /'x' must have 1568 elements/ });
});
