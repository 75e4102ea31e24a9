// Numerical gradient checks of the reference kernels in double precision: each backward kernel
// must be the derivative of its forward kernel. The objective is L = Σ out·R for a fixed random
// R (so dout = R), differentiated by central differences.
//
// Tolerance: |numeric − analytic| ≤ 1e-6·(1 + |analytic|) with h = 1e-5. In Float64Array the
// central difference has truncation error O(h²·|f'''|) ≈ 1e-10 for these smooth (or piecewise
// linear) functions, and rounding error O(ε·|L|/h) ≈ 1e-16·50/1e-5 ≈ 5e-10; 1e-6 leaves three
// orders of margin, while any indexing or formula error shows up at O(1e-2) or more.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { PoolGeometry } from '../../lib/backend/types';
import { referenceBackend as ref } from '../../lib/backend/reference';
import { Rng, convCases, describeConv, describePool, randn64, intIn } from '../helpers/random';
import { assertClose, assertCloseScalar } from '../helpers/compare';
import { colLength, poolGeometry } from '../../lib/tensor/shape';

const H = 1e-5;
const TOL = 1e-6;

/** Central-difference gradient of loss() with respect to every element of p (restored afterwards). */
function numericGrad(p: Float64Array, loss: () => number): Float64Array {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + H;
    const up = loss();
    p[i] = v - H;
    const down = loss();
    p[i] = v;
    g[i] = (up - down) / (2 * H);
  }
  return g;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function check(t: ExecutionContext, name: string, p: Float64Array, analytic: Float64Array, loss: () => number, ctx: string): void {
  assertClose(t, name, analytic, numericGrad(p, loss), TOL, ctx);
}

test('convolution: dx, dW, db are the gradients of Σ out·R', (t) => {
  const rng = new Rng(1);
  // Small geometries covering strides 1–3 and pads 0–2 (case i: stride 1 + i%3, pad ⌊i/3⌋%3).
  const cases = convCases(rng, 9).filter((g) => g.n * g.c * g.h * g.w <= 400);
  t.true(cases.length >= 5, `only ${cases.length} small geometries`);
  for (const g of cases) {
    const ctx = describeConv(g);
    const x = randn64(rng, g.n * g.c * g.h * g.w);
    const w = randn64(rng, g.f * g.c * g.kh * g.kw);
    const b = randn64(rng, g.f);
    const R = randn64(rng, g.n * g.f * g.oh * g.ow);
    const out = new Float64Array(R.length);
    const col = new Float64Array(colLength(g));
    const loss = () => {
      ref.convForward(x, w, b, g, out, col);
      return dot(out, R);
    };
    loss();
    const dw = new Float64Array(w.length);
    const db = new Float64Array(b.length);
    const dx = new Float64Array(x.length);
    ref.convBackward(R, w, col, g, dw, db, dx);
    check(t, 'dx', x, dx, loss, ctx);
    check(t, 'dW', w, dw, loss, ctx);
    check(t, 'db', b, db, loss, ctx);
  }
});

test('col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩', (t) => {
  const rng = new Rng(2);
  for (const g of convCases(rng, 30)) {
    const x = randn64(rng, g.n * g.c * g.h * g.w);
    const c = randn64(rng, colLength(g));
    const col = new Float64Array(c.length);
    const dx = new Float64Array(x.length);
    ref.im2col(x, g, col);
    ref.col2im(c, g, dx);
    // Two sums of the same products in a different order: agreement to ~1e-15 relative.
    assertCloseScalar(t, '⟨im2col(x), c⟩ − ⟨x, col2im(c)⟩', dot(col, c), dot(x, dx), 1e-12, describeConv(g));
  }
});

test('affine: dx, dW, db are the gradients of Σ out·R', (t) => {
  const rng = new Rng(3);
  for (const [n, d, m] of [[1, 5, 3], [4, 7, 2], [3, 1, 6]]) {
    const ctx = `n ${n}, d ${d}, m ${m}`;
    const x = randn64(rng, n * d);
    const w = randn64(rng, d * m);
    const b = randn64(rng, m);
    const R = randn64(rng, n * m);
    const out = new Float64Array(n * m);
    const loss = () => {
      ref.affineForward(x, w, b, n, d, m, out);
      return dot(out, R);
    };
    const dw = new Float64Array(d * m);
    const db = new Float64Array(m);
    const dx = new Float64Array(n * d);
    ref.affineBackward(R, x, w, n, d, m, dw, db, dx);
    check(t, 'dx', x, dx, loss, ctx);
    check(t, 'dW', w, dw, loss, ctx);
    check(t, 'db', b, db, loss, ctx);
  }
});

test('max pooling (no ties): dx is the gradient of Σ out·R', (t) => {
  const rng = new Rng(4);
  const shapes: Array<[number[], { ph: number; pw: number; stride: number; pad: number }]> = [
    [[2, 2, 4, 4], { ph: 2, pw: 2, stride: 2, pad: 0 }],
    [[1, 3, 5, 5], { ph: 3, pw: 3, stride: 1, pad: 1 }],
    [[2, 1, 5, 8], { ph: 3, pw: 2, stride: 2, pad: 1 }],
    [[1, 2, 5, 2], { ph: 3, pw: 3, stride: 3, pad: 2 }],
  ];
  for (const [shape, s] of shapes) {
    const g: PoolGeometry = poolGeometry('gradcheck pool', shape, s);
    const len = g.n * g.c * g.h * g.w;
    // Distinct values 0.01 apart: no two cells of a window are within 2h, so the winner
    // never changes under the ±h perturbation.
    const x = rng.shuffle(Float64Array.from({ length: len }, (_, i) => (i - len / 2) * 0.01));
    const R = randn64(rng, g.n * g.c * g.oh * g.ow);
    const out = new Float64Array(R.length);
    const argmax = new Int32Array(R.length);
    const loss = () => {
      ref.poolForward(x, g, out, argmax);
      return dot(out, R);
    };
    loss();
    const dx = new Float64Array(len);
    ref.poolBackward(R, argmax, g, dx);
    check(t, 'dx', x, dx, loss, describePool(g));
  }
});

test('relu (away from 0) and sigmoid: dx is the gradient of Σ out·R', (t) => {
  const rng = new Rng(5);
  const len = 50;
  // |x| ≥ 0.01 ≫ h, so no perturbation crosses the kink at 0.
  const x = Float64Array.from(randn64(rng, len), (v) => (v >= 0 ? v + 0.01 : v - 0.01));
  const R = randn64(rng, len);
  const out = new Float64Array(len);
  const dx = new Float64Array(len);
  const relu = () => {
    ref.reluForward(x, len, out);
    return dot(out, R);
  };
  relu();
  ref.reluBackward(R, out, len, dx);
  check(t, 'relu dx', x, dx, relu, `len ${len}`);
  const sigmoid = () => {
    ref.sigmoidForward(x, len, out);
    return dot(out, R);
  };
  sigmoid();
  ref.sigmoidBackward(R, out, len, dx);
  check(t, 'sigmoid dx', x, dx.slice(), sigmoid, `len ${len}`);
});

test('softmax cross-entropy: dx = (probs − t)/n is the gradient of the loss, index and one-hot labels', (t) => {
  const rng = new Rng(6);
  for (const [n, k] of [[1, 3], [3, 4], [5, 2]]) {
    // Logits of scale 0.5 keep every p ≥ 0.05. The loss is −log(p + 1e-7), whose exact gradient
    // differs from (p − t)/n by a relative 1e-7/p ≤ 2e-6 of a component ≤ 1/n — below the tolerance.
    const x = randn64(rng, n * k, 0.5);
    const idx = Int32Array.from({ length: n }, () => rng.int(k));
    const onehot = new Float64Array(n * k);
    for (let i = 0; i < n; i++) onehot[i * k + idx[i]] = 1;
    const probs = new Float64Array(n * k);
    for (const [kind, labels] of [['index', idx], ['one-hot', onehot]] as const) {
      const loss = () => ref.softmaxCrossEntropyForward(x, labels, n, k, probs);
      loss();
      t.true(probs.every((p) => p >= 0.05), `n ${n}, k ${k}: some p < 0.05, the 1e-7 bias argument does not hold`);
      const dx = new Float64Array(n * k);
      ref.softmaxCrossEntropyBackward(probs, labels, n, k, 1 / n, dx);
      check(t, 'dx', x, dx, loss, `n ${n}, k ${k}, ${kind} labels`);
    }
  }
});

test('batch normalisation (train mode): dx, dγ, dβ are the gradients of Σ out·R', (t) => {
  const rng = new Rng(7);
  for (const g of [{ n: 4, c: 3, s: 1 }, { n: 2, c: 2, s: 6 }, { n: 1, c: 2, s: 5 }, { n: 5, c: 1, s: 2 }]) {
    const len = g.n * g.c * g.s;
    const ctx = `n ${g.n}, c ${g.c}, s ${g.s}`;
    const x = randn64(rng, len, 2);
    const gamma = randn64(rng, g.c);
    const beta = randn64(rng, g.c);
    const R = randn64(rng, len);
    const out = new Float64Array(len);
    const xhat = new Float64Array(len);
    const invStd = new Float64Array(g.c);
    // Running statistics are written in train mode but do not affect out.
    const rm = new Float64Array(g.c);
    const rv = new Float64Array(g.c);
    const loss = () => {
      ref.batchNormForward(x, gamma, beta, g, true, 0.9, 1e-5, rm, rv, out, xhat, invStd);
      return dot(out, R);
    };
    loss();
    const dx = new Float64Array(len);
    const dgamma = new Float64Array(g.c);
    const dbeta = new Float64Array(g.c);
    ref.batchNormBackward(R, xhat, gamma, invStd, g, dx, dgamma, dbeta);
    check(t, 'dx', x, dx, loss, ctx);
    check(t, 'dγ', gamma, dgamma, loss, ctx);
    check(t, 'dβ', beta, dbeta, loss, ctx);
  }
});

test('dropout (fixed mask): dx is the gradient of Σ out·R', (t) => {
  const rng = new Rng(8);
  const len = 64;
  const x = randn64(rng, len);
  const R = randn64(rng, len);
  const out = new Float64Array(len);
  const mask = new Uint8Array(len);
  // Same seed and counter on every evaluation: the mask is fixed.
  const loss = () => {
    ref.dropoutForward(x, len, 0.4, 1234, 5, out, mask);
    return dot(out, R);
  };
  loss();
  const kept = mask.reduce((s, v) => s + v, 0);
  t.true(kept > 0 && kept < len, `mask keeps ${kept} of ${len}; the check needs both kinds`);
  const dx = new Float64Array(len);
  ref.dropoutBackward(R, mask, len, dx);
  check(t, 'dx', x, dx, loss, `len ${len}, ratio 0.4`);
});

test('the gradient check detects a wrong gradient', (t) => {
  // Control: an affine dW with one entry perturbed by 1e-3 must fail the comparison.
  const rng = new Rng(9);
  const [n, d, m] = [3, 4, 2];
  const x = randn64(rng, n * d);
  const w = randn64(rng, d * m);
  const b = randn64(rng, m);
  const R = randn64(rng, n * m);
  const out = new Float64Array(n * m);
  const loss = () => {
    ref.affineForward(x, w, b, n, d, m, out);
    return dot(out, R);
  };
  const dw = new Float64Array(d * m);
  ref.affineBackward(R, x, w, n, d, m, dw, new Float64Array(m), null);
  dw[intIn(rng, 0, dw.length - 1)] += 1e-3;
  const numeric = numericGrad(w, loss);
  let worst = 0;
  for (let i = 0; i < dw.length; i++) worst = Math.max(worst, Math.abs(dw[i] - numeric[i]) / (1 + Math.abs(numeric[i])));
  t.true(worst > TOL, `a 1e-3 error went unnoticed (worst relative difference ${worst})`);
});

