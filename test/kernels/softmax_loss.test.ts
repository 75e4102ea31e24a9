// Softmax + cross-entropy: the book's formulas by hand, index labels equal to one-hot labels,
// then native against reference.
import type { Backend } from '../../lib/backend/types';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertClose, assertCloseScalar } from '../helpers/compare';
import { Rng, intIn, randn32 } from '../helpers/random';
import { TRANSCENDENTAL_TOL } from '../helpers/tolerance';

eachBackend('softmax cross-entropy by hand: probabilities, mean loss with 1e-7, gradient scale', (t, b) => {
  // Row 0: equal logits → 1/3 each. Row 1: logits ln 1, ln 2, ln 5 shifted by 1000 (the max is
  // subtracted, so no overflow) → 1/8, 2/8, 5/8.
  const x = Float32Array.from([2, 2, 2, 1000, 1000 + Math.log(2), 1000 + Math.log(5)]);
  const labels = Int32Array.from([0, 2]);
  const probs = new Float32Array(6).fill(NaN);
  const loss = b.softmaxCrossEntropyForward(x, labels, 2, 3, probs);
  t.is(typeof loss, 'number');
  // float32 logits near 1000 carry an absolute error of ~3e-5 (ulp 6e-5), hence the looser tolerance on row 1.
  assertClose(t, 'probs', probs, [1 / 3, 1 / 3, 1 / 3, 1 / 8, 2 / 8, 5 / 8], 1e-4);
  assertCloseScalar(t, 'loss', loss, -(Math.log(1 / 3 + 1e-7) + Math.log(5 / 8 + 1e-7)) / 2, 1e-4);
  const dx = new Float32Array(6).fill(NaN);
  b.softmaxCrossEntropyBackward(Float32Array.from([0.25, 0.25, 0.5, 0.1, 0.2, 0.7]), labels, 2, 3, 0.5, dx);
  assertClose(t, 'dx', dx, [-0.375, 0.125, 0.25, 0.05, 0.1, -0.15], 1e-7);
});

eachBackend('softmax cross-entropy: one-hot labels give the same loss and gradient as indices', (t, b) => {
  const rng = new Rng(11);
  const n = 5;
  const k = 7;
  const x = randn32(rng, n * k, 3);
  const idx = Int32Array.from({ length: n }, () => rng.int(k));
  const onehot = new Float32Array(n * k);
  for (let i = 0; i < n; i++) onehot[i * k + idx[i]] = 1;
  const p1 = new Float32Array(n * k);
  const p2 = new Float32Array(n * k);
  const l1 = b.softmaxCrossEntropyForward(x, idx, n, k, p1);
  const l2 = b.softmaxCrossEntropyForward(x, onehot, n, k, p2);
  assertClose(t, 'probs', p2, p1, 1e-7);
  assertCloseScalar(t, 'loss', l2, l1, 1e-6);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += p1[i * k + j];
    assertCloseScalar(t, `row ${i} probability sum`, s, 1, 1e-6);
  }
  const d1 = new Float32Array(n * k);
  const d2 = new Float32Array(n * k);
  b.softmaxCrossEntropyBackward(p1, idx, n, k, 1 / n, d1);
  b.softmaxCrossEntropyBackward(p1, onehot, n, k, 1 / n, d2);
  assertClose(t, 'dx', d2, d1, 1e-7);
});

function run(b: Backend, x: Float32Array, labels: Int32Array | Float32Array, n: number, k: number) {
  const probs = new Float32Array(n * k).fill(NaN);
  const loss = b.softmaxCrossEntropyForward(x, labels, n, k, probs);
  const dx = new Float32Array(n * k).fill(NaN);
  b.softmaxCrossEntropyBackward(probs, labels, n, k, 1 / n, dx);
  return { probs, loss, dx };
}

nativeVsReference('softmax cross-entropy: native vs reference, index and soft labels', (t, nb, ref, threads) => {
  const rng = new Rng(606 + threads);
  for (let i = 0; i < 20; i++) {
    const n = i === 0 ? 1 : intIn(rng, 1, 40);
    const k = intIn(rng, 1, 20);
    const x = randn32(rng, n * k, 5);
    const idx = Int32Array.from({ length: n }, () => rng.int(k));
    // A non-negative target distribution per row (label smoothing style), not just one-hot.
    const soft = new Float32Array(n * k);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += soft[r * k + j] = rng.uniform();
      for (let j = 0; j < k; j++) soft[r * k + j] /= s;
    }
    for (const [kind, labels] of [['index', idx], ['soft', soft]] as const) {
      const ctx = `n ${n}, k ${k}, ${kind} labels, ${threads} thread(s)`;
      const a = run(nb, x, labels, n, k);
      const e = run(ref, x, labels, n, k);
      assertClose(t, 'probs', a.probs, e.probs, TRANSCENDENTAL_TOL, ctx);
      assertCloseScalar(t, 'loss', a.loss, e.loss, TRANSCENDENTAL_TOL, ctx);
      assertClose(t, 'dx', a.dx, e.dx, TRANSCENDENTAL_TOL, ctx);
    }
  }
});
