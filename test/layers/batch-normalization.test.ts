// BatchNormalization: batch statistics in training, running averages at inference, per feature
// for (n, d) and per channel for (n, c, h, w).
import test from 'ava';
import { BatchNormalization } from '../../lib/layers';
import { Tensor } from '../../lib/tensor/tensor';
import { randTensor, refCtx } from './helpers';

/** Per-group mean and biased variance, groups picked by index → group. */
function stats(a: ArrayLike<number>, groups: number, group: (i: number) => number): { mean: number[]; v: number[] } {
  const mean = new Array(groups).fill(0);
  const cnt = new Array(groups).fill(0);
  for (let i = 0; i < a.length; i++) {
    mean[group(i)] += a[i];
    cnt[group(i)]++;
  }
  for (let g = 0; g < groups; g++) mean[g] /= cnt[g];
  const v = new Array(groups).fill(0);
  for (let i = 0; i < a.length; i++) v[group(i)] += (a[i] - mean[group(i)]) ** 2;
  for (let g = 0; g < groups; g++) v[g] /= cnt[g];
  return { mean, v };
}

test('(n, d): train normalises per feature with batch stats and updates the running averages', (t) => {
  const bn = new BatchNormalization();
  bn.build([3], refCtx(1, 'float64'));
  t.deepEqual([...bn.buffers.runningMean.data], [0, 0, 0]);
  t.deepEqual([...bn.buffers.runningVar.data], [0, 0, 0]);
  const rm = [0, 0, 0];
  const rv = [0, 0, 0];
  for (let step = 0; step < 3; step++) {
    const x = randTensor([8, 3], 10 + step, 'float64');
    for (let i = 0; i < x.size; i++) x.data[i] = x.data[i] * (1 + (i % 3)) + (i % 3) * 5;
    const s = stats(x.data, 3, (i) => i % 3);
    const out = bn.forward(x, true);
    const o = stats(out.data, 3, (i) => i % 3);
    for (let f = 0; f < 3; f++) {
      t.true(Math.abs(o.mean[f]) < 1e-12, `feature ${f} mean ${o.mean[f]}`);
      t.true(Math.abs(o.v[f] - s.v[f] / (s.v[f] + 1e-6)) < 1e-12, `feature ${f} variance ${o.v[f]}`);
      rm[f] = 0.9 * rm[f] + 0.1 * s.mean[f];
      rv[f] = 0.9 * rv[f] + 0.1 * s.v[f];
    }
    t.true([...bn.buffers.runningMean.data].every((v, f) => Math.abs(v - rm[f]) < 1e-12), `running mean after step ${step}`);
    t.true([...bn.buffers.runningVar.data].every((v, f) => Math.abs(v - rv[f]) < 1e-12), `running var after step ${step}`);
  }
  // Inference uses the running averages (and leaves them alone), with gamma and beta applied.
  bn.params.gamma.data.set([2, 1, 0.5]);
  bn.params.beta.data.set([0, 1, -1]);
  const x = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], 'float64');
  const out = bn.forward(x, false);
  for (let i = 0; i < 6; i++) {
    const f = i % 3;
    const expected = bn.params.gamma.data[f] * (x.data[i] - rm[f]) / Math.sqrt(rv[f] + 1e-6) + bn.params.beta.data[f];
    t.true(Math.abs(out.data[i] - expected) < 1e-12, `inference out[${i}] ${out.data[i]} vs ${expected}`);
  }
  t.true([...bn.buffers.runningMean.data].every((v, f) => Math.abs(v - rm[f]) < 1e-12), 'inference leaves running mean');
});

test('(n, c, h, w): statistics per channel over n·h·w (as BatchNorm2d)', (t) => {
  const bn = new BatchNormalization({ momentum: 0.5 });
  bn.build([2, 3, 3], refCtx(1, 'float64'));
  t.deepEqual(bn.params.gamma.shape, [2]);
  const x = randTensor([4, 2, 3, 3], 5, 'float64');
  for (let i = 0; i < x.size; i++) if (Math.floor(i / 9) % 2 === 1) x.data[i] = 3 * x.data[i] + 7;
  const channel = (i: number) => Math.floor(i / 9) % 2;
  const s = stats(x.data, 2, channel);
  const o = stats(bn.forward(x, true).data, 2, channel);
  for (let c = 0; c < 2; c++) {
    t.true(Math.abs(o.mean[c]) < 1e-12);
    t.true(Math.abs(o.v[c] - 1) < 1e-5);
    t.true(Math.abs(bn.buffers.runningMean.data[c] - 0.5 * s.mean[c]) < 1e-12);
    t.true(Math.abs(bn.buffers.runningVar.data[c] - 0.5 * s.v[c]) < 1e-12);
  }
});

test('float32 training works on the same formulas', (t) => {
  const bn = new BatchNormalization();
  bn.build([4], refCtx());
  const out = bn.forward(randTensor([16, 4], 3), true);
  const o = stats(out.data, 4, (i) => i % 4);
  t.true(o.mean.every((m) => Math.abs(m) < 1e-6));
  t.true(o.v.every((v) => Math.abs(v - 1) < 1e-4));
});
