// Dropout: the book's non-inverted form, masks reproducible from {seed, counter}.
import test from 'ava';
import { Dropout } from '../../lib/layers';
import { Rng } from '../../lib/tensor/rng';
import { Tensor } from '../../lib/tensor/tensor';
import { refCtx } from './helpers';

function ones(n: number): Tensor {
  return Tensor.from(new Array(n).fill(1), [1, n]);
}

test('training multiplies by a 0/1 mask dropping about ratio of the units; a fresh mask each step', (t) => {
  const d = new Dropout({ ratio: 0.3 });
  d.build([4000], refCtx(1));
  const a = Float32Array.from(d.forward(ones(4000), true).data);
  t.true(a.every((v) => v === 0 || v === 1));
  const dropped = a.filter((v) => v === 0).length / a.length;
  // 4000 Bernoulli(0.3): σ ≈ 0.0072, so ±0.03 is > 4σ.
  t.true(Math.abs(dropped - 0.3) < 0.03, `dropped ${dropped}`);
  const b = Float32Array.from(d.forward(ones(4000), true).data);
  t.notDeepEqual(b, a, 'the counter advanced: another mask');
  t.deepEqual(d.getState().counter, 2);
});

test('inference scales by (1 − ratio), draws no mask, and its backward is that scale', (t) => {
  const d = new Dropout({ ratio: 0.25 });
  d.build([3], refCtx(1));
  const x = Tensor.from([4, -8, 2], [1, 3]);
  t.deepEqual([...d.forward(x, false).data], [3, -6, 1.5]);
  t.is(d.getState().counter, 0);
  t.deepEqual([...d.backward(Tensor.from([1, 2, 3], [1, 3]))!.data], [0.75, 1.5, 2.25]);
});

test('backward passes the gradient through the same mask', (t) => {
  const d = new Dropout();
  d.build([50], refCtx(2));
  const out = Float32Array.from(d.forward(ones(50), true).data);
  const dout = Tensor.from(Array.from({ length: 50 }, (_, i) => i + 1), [1, 50]);
  const dx = d.backward(dout)!;
  for (let i = 0; i < 50; i++) t.is(dx.data[i], out[i] * (i + 1));
});

test('getState/setState resume the exact mask sequence; the seed comes from the build rng', (t) => {
  const a = new Dropout();
  a.build([64], refCtx(7));
  a.forward(ones(64), true);
  const saved = a.getState();
  const next = Float32Array.from(a.forward(ones(64), true).data);
  const b = new Dropout();
  b.build([64], refCtx(99));
  t.not(b.getState().seed, saved.seed, 'another rng, another seed');
  b.setState(saved);
  t.deepEqual(Float32Array.from(b.forward(ones(64), true).data), next);
  const c = new Dropout();
  c.build([64], { ...refCtx(), rng: new Rng(7) });
  t.is(c.getState().seed, a.getState().seed, 'same rng seed, same dropout seed');
  t.throws(() => b.setState({ seed: -1, counter: 0 }), { message: /unsigned 32-bit/ });
});
