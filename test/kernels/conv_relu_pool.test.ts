// The fused Convolution → Relu → Pooling kernel: on each backend it must equal the three separate
// kernels (forward exactly, backward within summation rounding), and native must match reference
// on random geometries that reach every native path (sparse weight gradient in one or several row
// groups, padded or not; the dense form for narrow and very wide kernels; with and without dx).
import type { ExecutionContext } from 'ava';
import type { Backend, ConvGeometry, PoolGeometry } from '../../lib/backend/types';
import { convGeometry, poolGeometry, colLength } from '../../lib/tensor/shape';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { Rng, describeConv, describePool, intIn, randn32 } from '../helpers/random';
import { GEMM_TOL } from '../helpers/tolerance';

interface FusedCase { g: ConvGeometry; p: PoolGeometry; }

/** Convolution geometries with room to pool, and a random pooling of their output. */
/** A book-style block: k × k stride-1 convolution, then 2 × 2 stride-2 pooling. */
function bookCase(n: number, c: number, h: number, f: number, k: number, pad: number): FusedCase {
  const g = convGeometry('book', [n, c, h, h], { filters: f, kh: k, kw: k, stride: 1, pad });
  return { g, p: poolGeometry('book pool', [n, f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 }) };
}

function fusedCases(rng: Rng, count: number): FusedCase[] {
  const book = bookCase;
  const out: FusedCase[] = [
    book(2, 1, 28, 30, 5, 0), // SimpleConvNet: sparse dw, one row group
    book(2, 1, 28, 6, 5, 2), // LeNet5 Conv1: padded sparse dw
    book(3, 6, 14, 16, 5, 0), // LeNet5 Conv2: sparse dw in two row groups, dense dx
    book(2, 16, 28, 16, 3, 1), // DeepConvNet's second layer: kw 3 on 16 channels, the channels-innermost dw
    book(1, 2, 9, 4, 3, 1), // kw 3 on 2 channels: channels innermost on AVX2 only, the dense form on AVX-512
  ];
  while (out.length < count) {
    const i = out.length;
    const stride = 1 + (i % 3);
    const pad = Math.floor(i / 3) % 3;
    // every fifth case a kernel wider than 16 (the dense form), else 1–7 wide
    const kw = i % 5 === 4 ? 17 : intIn(rng, 1, 7);
    const kh = intIn(rng, 1, 6);
    const oh = intIn(rng, 2, 11);
    const ow = intIn(rng, 2, 11);
    // every other case with a stride leaves rows and columns past the last whole window (floor)
    const h = kh - 2 * pad + stride * (oh - 1) + (i % 2 === 1 ? rng.int(stride) : 0);
    const w = kw - 2 * pad + stride * (ow - 1) + (i % 2 === 1 ? rng.int(stride) : 0);
    if (h < 1 || w < 1) continue;
    const n = i === 4 ? 1 : intIn(rng, 1, 3);
    const g = convGeometry(`fused case ${i}`, [n, intIn(rng, 1, 5), h, w], { filters: intIn(rng, 1, 9), kh, kw, stride, pad });
    const ph = intIn(rng, 1, Math.min(3, g.oh));
    const pw = intIn(rng, 1, Math.min(3, g.ow));
    const pstride = intIn(rng, 1, 3);
    const ppad = intIn(rng, 0, Math.min(ph, pw) - 1);
    // The pooling floors too: its windows need not tile the convolution's map.
    out.push({ g, p: poolGeometry('pool', [n, g.f, g.oh, g.ow], { ph, pw, stride: pstride, pad: ppad }) });
  }
  return out;
}

const describe = ({ g, p }: FusedCase) => `${describeConv(g)}, then ${describePool(p)}`;

function inputs(rng: Rng, g: ConvGeometry, p: PoolGeometry) {
  return {
    x: randn32(rng, g.n * g.c * g.h * g.w),
    w: randn32(rng, g.f * g.c * g.kh * g.kw, 0.5),
    b: randn32(rng, g.f, 0.5),
    dout: randn32(rng, p.n * p.c * p.oh * p.ow),
  };
}

function fusedForward(bk: Backend, { g, p }: FusedCase, x: Float32Array, w: Float32Array, b: Float32Array) {
  const out = new Float32Array(p.n * p.c * p.oh * p.ow).fill(NaN);
  const argmax = new Int32Array(out.length).fill(-7);
  bk.convReluPoolForward(x, w, b, g, p, out, argmax);
  return { out, argmax };
}

function fusedBackward(bk: Backend, { g, p }: FusedCase, dout: Float32Array, out: Float32Array, argmax: Int32Array,
  x: Float32Array, w: Float32Array, withDx: boolean) {
  const dw = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(g.f).fill(NaN);
  const dx = withDx ? new Float32Array(x.length).fill(NaN) : null;
  bk.convReluPoolBackward(dout, out, argmax, x, w, g, p, dw, db, dx);
  return { dw, db, dx };
}

/** The three separate kernels, forward and backward. */
function separate(bk: Backend, { g, p }: FusedCase, x: Float32Array, w: Float32Array, b: Float32Array, dout: Float32Array) {
  const conv = new Float32Array(g.n * g.f * g.oh * g.ow);
  const col = new Float32Array(colLength(g));
  bk.convForward(x, w, b, g, conv, col);
  const relu = new Float32Array(conv.length);
  bk.reluForward(conv, conv.length, relu);
  const out = new Float32Array(p.n * p.c * p.oh * p.ow);
  const argmax = new Int32Array(out.length);
  bk.poolForward(relu, p, out, argmax);
  const dpool = new Float32Array(conv.length);
  bk.poolBackward(dout, argmax, p, dpool);
  const drelu = new Float32Array(conv.length);
  bk.reluBackward(dpool, relu, conv.length, drelu);
  const dw = new Float32Array(w.length);
  const db = new Float32Array(g.f);
  const dx = new Float32Array(x.length);
  bk.convBackward(drelu, w, col, g, dw, db, dx);
  return { conv, out, dw, db, dx };
}

eachBackend('convReluPool equals Convolution → Relu → Pooling run separately, on the book shapes and 36 random geometries', (t, bk) => {
  const rng = new Rng(41);
  for (const c of fusedCases(rng, 40)) {
    const { x, w, b, dout } = inputs(rng, c.g, c.p);
    const sep = separate(bk, c, x, w, b, dout);
    const f = fusedForward(bk, c, x, w, b);
    assertEqualArrays(t, 'out', f.out, sep.out, describe(c));
    // Each winner is a cell of its window holding the window's maximum.
    let wrong = 0;
    const pplane = c.p.oh * c.p.ow;
    const plane = c.g.oh * c.g.ow;
    for (let q = 0; q < f.argmax.length; q++) {
      const a = f.argmax[q];
      const base = Math.floor(q / pplane) * plane;
      if (!(a >= 0 && a < plane) || Math.max(sep.conv[base + a], 0) !== f.out[q]) wrong++;
    }
    t.is(wrong, 0, `argmax: ${wrong} windows point at a cell that does not hold their maximum (${describe(c)})`);
    for (const withDx of [true, false]) {
      const g = fusedBackward(bk, c, dout, f.out, f.argmax, x, w, withDx);
      assertClose(t, `dw (dx ${withDx ? 'computed' : 'skipped'})`, g.dw, sep.dw, GEMM_TOL, describe(c));
      assertClose(t, `db (dx ${withDx ? 'computed' : 'skipped'})`, g.db, sep.db, GEMM_TOL, describe(c));
      if (g.dx) assertClose(t, 'dx', g.dx, sep.dx, GEMM_TOL, describe(c));
    }
  }
});

eachBackend('convReluPool on a hand-computed case: the Relu stops the gradient of a negative window', (t, bk) => {
  // x 1×1×2×4, one 1×1 filter of weight 1 and bias 0: the convolution is x itself. Pooling 2×2
  // stride 2: window 0 holds {1, 3, −2, 0} (max 3 at (0, 1)), window 1 {−1, −4, −5, −3} (max −1).
  const g = convGeometry('hand', [1, 1, 2, 4], { filters: 1, kh: 1, kw: 1, stride: 1, pad: 0 });
  const p = poolGeometry('hand pool', [1, 1, 2, 4], { ph: 2, pw: 2, stride: 2, pad: 0 });
  const x = Float32Array.from([1, 3, -1, -4, -2, 0, -5, -3]);
  const w = Float32Array.from([1]);
  const b = Float32Array.from([0]);
  const f = fusedForward(bk, { g, p }, x, w, b);
  t.deepEqual([...f.out], [3, 0]);
  t.is(f.argmax[0], 1, 'window 0: 3 is at (0, 1)');
  const r = fusedBackward(bk, { g, p }, Float32Array.from([10, 20]), f.out, f.argmax, x, w, true);
  t.deepEqual([...r.dx!], [0, 10, 0, 0, 0, 0, 0, 0], 'dx: only the positive window passes its gradient, to its winner');
  t.deepEqual([...r.dw], [30], 'dw = 10 · x at the winner (3)');
  t.deepEqual([...r.db], [10]);
});

function compareBackends(t: ExecutionContext, nb: Backend, ref: Backend, seed: number, context: string): void {
  const rng = new Rng(seed);
  for (const c of fusedCases(rng, 40)) {
    const { x, w, b, dout } = inputs(rng, c.g, c.p);
    const e = fusedForward(ref, c, x, w, b);
    const a = fusedForward(nb, c, x, w, b);
    const ctx = `${describe(c)}, ${context}`;
    assertClose(t, 'out', a.out, e.out, GEMM_TOL, ctx);
    // Backward from the same forward state on both (winners of near-ties may differ by rounding).
    for (const withDx of [true, false]) {
      const eg = fusedBackward(ref, c, dout, e.out, e.argmax, x, w, withDx);
      const ag = fusedBackward(nb, c, dout, e.out, e.argmax, x, w, withDx);
      assertClose(t, `dw (dx ${withDx ? 'computed' : 'skipped'})`, ag.dw, eg.dw, GEMM_TOL, ctx);
      assertClose(t, `db (dx ${withDx ? 'computed' : 'skipped'})`, ag.db, eg.db, GEMM_TOL, ctx);
      if (ag.dx) assertClose(t, 'dx', ag.dx, eg.dx!, GEMM_TOL, ctx);
    }
  }
}

nativeVsReference('convReluPool: native vs reference on the book shapes and 36 random geometries', (t, nb, ref, threads) => {
  compareBackends(t, nb, ref, 500 + threads, `${threads} thread(s)`);
});

nativeVsReference('convReluPoolBackward: the weight gradient has the same bits with 1 and 2 threads', (t, nb) => {
  const rng = new Rng(77);
  const before = nb.getNumThreads();
  try {
    // Batches of more than one job of images (the weight gradient by patches or channels-innermost
    // sums images in fixed groups of 4 and then the groups in order), each thread taking several.
    const bigger = [bookCase(13, 1, 28, 30, 5, 0), bookCase(9, 6, 14, 16, 5, 0), bookCase(6, 1, 28, 6, 5, 2),
      bookCase(11, 16, 12, 16, 3, 1), bookCase(9, 32, 6, 20, 3, 2)];
    for (const c of [...fusedCases(rng, 12), ...bigger]) {
      const { x, w, b, dout } = inputs(rng, c.g, c.p);
      const f = fusedForward(nb, c, x, w, b);
      const runs = [1, 2].map((n) => {
        nb.setNumThreads(n);
        return fusedBackward(nb, c, dout, f.out, f.argmax, x, w, true);
      });
      assertEqualArrays(t, 'dw', runs[0].dw, runs[1].dw, describe(c));
      assertEqualArrays(t, 'db', runs[0].db, runs[1].db, describe(c));
      assertEqualArrays(t, 'dx', runs[0].dx!, runs[1].dx!, describe(c));
    }
  } finally {
    nb.setNumThreads(before);
  }
});

eachBackend('convReluPoolForward in inference (argmax null) gives the same bits as the training forward, ties and NaNs included', (t, bk) => {
  const rng = new Rng(91);
  for (const c of fusedCases(rng, 24)) {
    const { x, w, b } = inputs(rng, c.g, c.p);
    // Coarse inputs and weights make equal window values (ties) common; a few NaNs test that
    // both forms let the same cell win.
    for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 2) / 2;
    for (let i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 2) / 2;
    if (x.length > 9) x[Math.floor(x.length / 3)] = NaN;
    const trained = fusedForward(bk, c, x, w, b);
    const inferred = new Float32Array(trained.out.length).fill(-3);
    bk.convReluPoolForward(x, w, b, c.g, c.p, inferred, null);
    assertEqualArrays(t, 'out', inferred, trained.out, describe(c));
  }
});

eachBackend('convReluPoolForward in inference: 2 × 2 pooling of every row width 1–20 (whole vectors, an overlapping last vector, the scalar tail) gives the training forward\'s bits', (t, bk) => {
  const rng = new Rng(92);
  for (let pw = 1; pw <= 20; pw++) {
    // an odd map width leaves its last column outside every window
    const w = 2 * pw + (pw % 2), h = 2 * intIn(rng, 1, 4) + (pw % 3 === 0 ? 1 : 0);
    const g = convGeometry('row width case', [intIn(rng, 1, 2), 2, h, w], { filters: 3, kh: 1, kw: 1, stride: 1, pad: 0 });
    const c = { g, p: poolGeometry('pool', [g.n, g.f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 }) };
    const { x, w: wt, b } = inputs(rng, c.g, c.p);
    if (x.length > 5) x[rng.int(x.length)] = NaN;
    const trained = fusedForward(bk, c, x, wt, b);
    const inferred = new Float32Array(trained.out.length).fill(-3);
    bk.convReluPoolForward(x, wt, b, c.g, c.p, inferred, null);
    assertEqualArrays(t, 'out', inferred, trained.out, describe(c));
  }
});

/**
 * One 2 × 2-pooled geometry through the fused forward, against the separate kernels (bits), each
 * window's first maximum (its winner) and the inference forward (bits): coarse values make ties
 * common, zeroRows shapes x like handwriting, and a NaN then must win or lose as in the separate
 * pooling (where the Relu, before the pooling, would have made it 0: so only the winners and
 * inference are compared then).
 */
function checkPooled(t: ExecutionContext, bk: Backend, rng: Rng, g: ConvGeometry, zeroRows: boolean): void {
  const cs = { g, p: poolGeometry('pool', [g.n, g.f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 }) };
  const { x: dense, w, b, dout } = inputs(rng, g, cs.p);
  const x = zeroRows ? mostlyZero(rng, g) : dense;
  for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 2) / 2;
  for (let i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 2) / 2;
  for (const withNaN of [false, true]) {
    if (withNaN) x[rng.int(x.length)] = NaN;
    const ctx = `${describe(cs)}${withNaN ? ', a NaN in x' : ''}`;
    const sep = separate(bk, cs, x, w, b, dout);
    const fused = fusedForward(bk, cs, x, w, b);
    if (!withNaN) assertEqualArrays(t, 'out', fused.out, sep.out, ctx);
    // The winner is the first of the window's cells, row by row, that beats all before it (>).
    const plane = g.oh * g.ow, pplane = cs.p.oh * cs.p.ow;
    let wrong = -1;
    for (let q = 0; q < fused.argmax.length && wrong < 0; q++) {
      const base = Math.floor(q / pplane) * plane, at = 2 * Math.floor((q % pplane) / cs.p.ow) * g.ow + 2 * (q % cs.p.ow);
      let best = at;
      for (const d of [1, g.ow, g.ow + 1]) if (sep.conv[base + at + d] > sep.conv[base + best]) best = at + d;
      if (fused.argmax[q] !== best) wrong = q;
    }
    t.is(wrong, -1, `argmax[${wrong}] is ${fused.argmax[wrong]}, not the window's first maximum (${ctx})`);
    const inferred = new Float32Array(fused.out.length).fill(-3);
    bk.convReluPoolForward(x, w, b, g, cs.p, inferred, null);
    assertEqualArrays(t, 'inference out', inferred, fused.out, ctx);
  }
}

eachBackend('convReluPool on 18- to 32-wide maps (AVX-512 pools in the register tile, skipping zero rows): the separate kernels\' bits, each window\'s first maximum, ties and NaNs included', (t, bk) => {
  const rng = new Rng(93);
  // Maps 24 wide (two rows in three vectors) and 18–32 (a row in two): filters 1–13 on each
  // kind (whole tiles of 6 and every remainder); 9 to 150 taps, padded or not.
  const shapes: [number, number, number, number][] = [[1, 28, 5, 0], [3, 26, 3, 0], [1, 24, 3, 1], [3, 28, 5, 0], [1, 24, 5, 2],
    [1, 28, 5, 2], [6, 22, 5, 0], [2, 30, 3, 1], [1, 20, 3, 0], [16, 28, 3, 1], [2, 32, 5, 2], [1, 36, 5, 0], [3, 19, 1, 0]];
  for (let i = 0; i < 26; i++) {
    const [c, h, k, pad] = shapes[(i + Math.floor(i / 13) * 5) % shapes.length];
    const g = convGeometry('wide', [intIn(rng, 1, 3), c, h, h], { filters: 1 + (i % 13), kh: k, kw: k, stride: 1, pad });
    checkPooled(t, bk, rng, g, i % 2 === 1);
  }
});

eachBackend('convReluPool on maps up to 16 wide, 1–8 filters (AVX2 pools in the direct kernel, two rows at a time): the separate kernels\' bits, each window\'s first maximum, ties and NaNs included', (t, bk) => {
  const rng = new Rng(95);
  // [channels, size, kernel, pad]: maps 2–16 wide (one vector a chunk, or two for up to 6
  // filters on rows past 8), LeNet's first layer (28 wide, two chunks of two vectors), 1 to 75 taps.
  const shapes: [number, number, number, number][] = [[1, 6, 3, 1], [1, 8, 5, 2], [2, 12, 3, 1], [3, 14, 3, 0], [1, 16, 1, 0],
    [1, 18, 5, 2], [3, 12, 5, 0], [1, 28, 5, 2], [2, 10, 3, 0], [1, 4, 3, 0], [1, 20, 5, 0]];
  for (let i = 0; i < 24; i++) {
    const [c, h, k, pad] = shapes[i % shapes.length];
    const g = convGeometry('narrow', [intIn(rng, 1, 3), c, h, h], { filters: 1 + (i % 8), kh: k, kw: k, stride: 1, pad });
    checkPooled(t, bk, rng, g, i % 2 === 1);
  }
});

eachBackend('convReluPool with filters in 16s (AVX-512 pools in the lanes kernel\'s tile, two rows a tile): the separate kernels\' bits, each window\'s first maximum, ties and NaNs included', (t, bk) => {
  const rng = new Rng(94);
  // [channels, size, kernel, pad, filters]: LeNet's second layer (10 wide), DeepConvNet's fourth
  // and sixth (16 and 8 wide; 288 and 576 taps, two and three passes), 48 filters (three 16-filter
  // panels), rows split unevenly (20 wide: 6 + 6 + 6 + 2), a 28-wide map of 270 taps (more than
  // one pass, so not the filters-as-rows tiles), and small maps.
  const shapes: [number, number, number, number, number][] = [[6, 14, 5, 0, 16], [32, 16, 3, 1, 32], [64, 8, 3, 1, 64],
    [3, 12, 3, 0, 48], [2, 20, 5, 2, 32], [30, 30, 3, 0, 16], [1, 6, 3, 1, 16], [4, 9, 2, 0, 32], [2, 14, 1, 0, 64]];
  for (const [i, [c, h, k, pad, f]] of shapes.entries()) {
    const g = convGeometry('lanes', [intIn(rng, 1, 2), c, h, h], { filters: f, kh: k, kw: k, stride: 1, pad });
    checkPooled(t, bk, rng, g, i % 2 === 1);
  }
});

/**
 * Inputs shaped like handwriting: per plane, all zero, a random rectangle kept (the rest ±0),
 * that rectangle with random rows and columns zeroed, or dense.
 */
function mostlyZero(rng: Rng, g: ConvGeometry): Float32Array {
  const x = randn32(rng, g.n * g.c * g.h * g.w);
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const mode = rng.int(4);
    if (mode === 3) continue;
    const r0 = rng.int(g.h), r1 = r0 + 1 + rng.int(g.h - r0), c0 = rng.int(g.w), c1 = c0 + 1 + rng.int(g.w - c0);
    const deadRow = rng.int(g.h), deadCol = rng.int(g.w);
    for (let r = 0; r < g.h; r++) {
      for (let c = 0; c < g.w; c++) {
        const kept = mode !== 0 && r >= r0 && r < r1 && c >= c0 && c < c1 && !(mode === 2 && (r === deadRow || c === deadCol));
        if (!kept) x[(plane * g.h + r) * g.w + c] = rng.int(2) ? 0 : -0;
      }
    }
  }
  return x;
}

function mostlyZeroCases(rng: Rng): FusedCase[] {
  const book = (n: number, c: number, h: number, f: number, k: number, pad: number): FusedCase => {
    const g = convGeometry('mostly zero', [n, c, h, h], { filters: f, kh: k, kw: k, stride: 1, pad });
    return { g, p: poolGeometry('pool', [n, f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 }) };
  };
  // The book's first layers, then filters in groups of 4 with a remainder of 3 and of 1 (two
  // channels), and the random fused geometries.
  return [book(3, 1, 28, 30, 5, 0), book(3, 1, 28, 6, 5, 2), book(2, 1, 20, 11, 3, 0), book(2, 2, 24, 9, 4, 0),
    ...fusedCases(rng, 30)];
}

eachBackend('convReluPool on mostly-zero inputs (the native forward skips zero rows) gives the bits of the separate kernels', (t, bk) => {
  const rng = new Rng(73);
  for (const c of mostlyZeroCases(rng)) {
    const x = mostlyZero(rng, c.g);
    const { w, b, dout } = inputs(rng, c.g, c.p);
    const sep = separate(bk, c, x, w, b, dout);
    assertEqualArrays(t, 'out', fusedForward(bk, c, x, w, b).out, sep.out, describe(c));
    const inferred = new Float32Array(sep.out.length);
    bk.convReluPoolForward(x, w, b, c.g, c.p, inferred, null);
    assertEqualArrays(t, 'inference out', inferred, sep.out, describe(c));
  }
});

/** NaN and ±∞ exactly where expected has them; the finite values within GEMM_TOL. */
function assertSameNonFinite(t: ExecutionContext, name: string, a: Float32Array, e: Float32Array, ctx: string): void {
  let first = -1;
  for (let i = 0; i < e.length && first < 0; i++) {
    if (Number.isFinite(e[i]) !== Number.isFinite(a[i]) || (!Number.isFinite(e[i]) && !Object.is(e[i], a[i]))) first = i;
  }
  t.is(first, -1, `${name}: [${first}] is ${a[first]}, the reference has ${e[first]} (${ctx})`);
  assertClose(t, name, a.map((v, i) => (Number.isFinite(e[i]) ? v : 0)), e.map((v) => (Number.isFinite(v) ? v : 0)),
    GEMM_TOL, ctx);
}

nativeVsReference('convReluPool on mostly-zero inputs with a ±∞ or NaN weight: NaN and ∞ where the reference has them (∞ · 0 is not skipped)', (t, nb, ref) => {
  const rng = new Rng(79);
  for (const c of mostlyZeroCases(rng)) {
    const x = mostlyZero(rng, c.g);
    const { w, b } = inputs(rng, c.g, c.p);
    for (const bad of [Infinity, -Infinity, NaN]) {
      const wb = Float32Array.from(w);
      wb[rng.int(wb.length)] = bad;
      const ctx = `a weight ${bad}, ${describe(c)}`;
      const e = fusedForward(ref, c, x, wb, b).out;
      const inferred = new Float32Array(e.length);
      nb.convReluPoolForward(x, wb, b, c.g, c.p, inferred, null);
      assertSameNonFinite(t, 'training out', fusedForward(nb, c, x, wb, b).out, e, ctx);
      assertSameNonFinite(t, 'inference out', inferred, e, ctx);
    }
  }
});

nativeVsReference('convReluPoolBackward dx, whose pooled gradient is mostly zero (the native input gradient by non-zeros), for every length of the last chunk of taps', (t, nb, ref) => {
  const rng = new Rng(83);
  // c·k·k from 32 to 288: every remainder of 8-float vectors after whole 96-tap chunks (0 … 12
  // vectors), with 3 to 24 filters (one, two and three groups of 8, partly filled)
  const shapes: [number, number][] = [[2, 4], [5, 3], [6, 3], [7, 3], [8, 3], [9, 3], [10, 3], [11, 3], [2, 7], [4, 5],
    [12, 3], [13, 3], [14, 3], [15, 3], [16, 3], [6, 5], [17, 3], [21, 3], [32, 3]];
  for (const [i, [c, k]] of shapes.entries()) {
    const f = [3, 9, 17, 24][i % 4];
    const h = 8 + 2 * rng.int(3);
    const g = convGeometry('sparse dx', [1 + rng.int(2), c, h, h], { filters: f, kh: k, kw: k, stride: 1, pad: k >> 1 });
    const p = poolGeometry('pool', [g.n, f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 });
    const { x, w, b, dout } = inputs(rng, g, p);
    const e = fusedForward(ref, { g, p }, x, w, b);
    const eg = fusedBackward(ref, { g, p }, dout, e.out, e.argmax, x, w, true);
    const ag = fusedBackward(nb, { g, p }, dout, e.out, e.argmax, x, w, true);
    assertClose(t, 'dx', ag.dx!, eg.dx!, GEMM_TOL, describe({ g, p }));
  }
});

nativeVsReference('convReluPoolBackward with 2 × 2 windows tiling the map (written window by window natively): every width of the last vector of windows, winners moved out of their windows, −0 gradients', (t, nb, ref) => {
  const rng = new Rng(91);
  // Pooled rows 1 … 19 wide: whole and partial vectors of 4, 8 and 16 windows.
  for (let pw = 1; pw <= 19; pw++) {
    const k = 1 + rng.int(3);
    const pad = rng.int(2);
    const ow = 2 * pw;
    const oh = 2 * (1 + rng.int(4));
    const g = convGeometry('tiled', [1 + rng.int(3), 1 + rng.int(3), oh + k - 1 - 2 * pad, ow + k - 1 - 2 * pad],
      { filters: 1 + rng.int(5), kh: k, kw: k, stride: 1, pad });
    if (g.h < 1 || g.w < 1) continue;
    const p = poolGeometry('pool', [g.n, g.f, g.oh, g.ow], { ph: 2, pw: 2, stride: 2, pad: 0 });
    const { x, w, b, dout } = inputs(rng, g, p);
    // A tenth of the gradients −0: the winner's cell gets 0 + (−0) = +0, as the scatter adds it.
    for (let q = 0; q < dout.length; q += 10) dout[q] = -0;
    const e = fusedForward(ref, { g, p }, x, w, b);
    const moved = Int32Array.from(e.argmax);
    // One winner in each image's first plane moved to a cell of another window (an argmax the
    // forward never makes, but one inside the plane): the native kernel must fall back to the scatter.
    const pohw = p.oh * p.ow, ohw = g.oh * g.ow;
    for (let i = 0; i < g.n; i++) moved[i * g.f * pohw] = (e.argmax[i * g.f * pohw] + 2 * g.ow + 3) % ohw;
    for (const [which, argmax] of [['as the forward left them', e.argmax], ['one moved out of its window', moved]] as const) {
      const ctx = `${describe({ g, p })}, winners ${which}`;
      const eg = fusedBackward(ref, { g, p }, dout, e.out, argmax, x, w, true);
      const ag = fusedBackward(nb, { g, p }, dout, e.out, argmax, x, w, true);
      assertClose(t, 'dw', ag.dw, eg.dw, GEMM_TOL, ctx);
      assertClose(t, 'db', ag.db, eg.db, GEMM_TOL, ctx);
      assertClose(t, 'dx', ag.dx!, eg.dx!, GEMM_TOL, ctx);
    }
  }
});

nativeVsReference('convReluPoolBackward with 3 × 3 and narrower kernels on many channels (the native weight gradient with the image channels-innermost): the book\'s layers, kernel rows in one vector to chunks of several, strides, paddings, poolings that do not tile', (t, nb, ref) => {
  const rng = new Rng(97);
  const cases: FusedCase[] = [bookCase(2, 32, 14, 32, 3, 2), bookCase(2, 64, 8, 64, 3, 1), bookCase(1, 70, 6, 5, 3, 1)];
  // [channels, kw]: kernel rows of 3·c floats from one vector (4 channels) to more than the
  // registers hold (70: chunks on AVX-512, 64 and up on AVX2), rows padded to whole vectors (13,
  // 20, 33), 2- and 1-wide kernels (8, 24 channels).
  const shapes: [number, number][] = [[4, 3], [5, 3], [8, 2], [13, 3], [16, 3], [20, 3], [24, 1], [33, 3], [64, 3], [70, 3]];
  for (const [i, [c, kw]] of shapes.entries()) {
    const kh = [3, 1, 2, 5, 3][i % 5];
    const stride = 1 + (i % 2);
    const pad = i % 3;
    const oh = intIn(rng, 2, 9), ow = intIn(rng, 2, 9);
    const h = kh - 2 * pad + stride * (oh - 1) + rng.int(stride), w = kw - 2 * pad + stride * (ow - 1) + rng.int(stride);
    if (h < 1 || w < 1) continue;
    const g = convGeometry(`channels innermost ${i}`, [intIn(rng, 1, 3), c, h, w], { filters: intIn(rng, 1, 20), kh, kw, stride, pad });
    const ph = intIn(rng, 1, Math.min(3, g.oh)), pw = intIn(rng, 1, Math.min(3, g.ow));
    cases.push({ g, p: poolGeometry('pool', [g.n, g.f, g.oh, g.ow], { ph, pw, stride: intIn(rng, 1, 3), pad: intIn(rng, 0, Math.min(ph, pw) - 1) }) });
  }
  t.true(cases.length >= 10, `only ${cases.length} geometries were valid`);
  for (const c of cases) {
    const { x, w, b, dout } = inputs(rng, c.g, c.p);
    const e = fusedForward(ref, c, x, w, b);
    for (const withDx of [true, false]) {
      const eg = fusedBackward(ref, c, dout, e.out, e.argmax, x, w, withDx);
      const ag = fusedBackward(nb, c, dout, e.out, e.argmax, x, w, withDx);
      assertClose(t, `dw (dx ${withDx ? 'computed' : 'skipped'})`, ag.dw, eg.dw, GEMM_TOL, describe(c));
      assertClose(t, `db (dx ${withDx ? 'computed' : 'skipped'})`, ag.db, eg.db, GEMM_TOL, describe(c));
      if (ag.dx) assertClose(t, 'dx', ag.dx, eg.dx!, GEMM_TOL, describe(c));
    }
  }
  // An argmax outside its plane is refused, naming the entry, before anything is summed from it.
  const c = cases[0];
  const { x, w, b, dout } = inputs(rng, c.g, c.p);
  const e = fusedForward(ref, c, x, w, b);
  const bad = Int32Array.from(e.argmax);
  const at = bad.length - 3;
  bad[at] = c.g.oh * c.g.ow;
  const err = t.throws(() => fusedBackward(nb, c, dout, e.out, bad, x, w, true), { instanceOf: RangeError });
  t.regex(err!.message, new RegExp(`argmax\\[${at}\\] is ${c.g.oh * c.g.ow}`));
});
