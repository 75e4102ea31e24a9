// The book's gradient_check at network level: backprop against central differences for every
// parameter of a small SimpleConvNet and a MultiLayerNetExtend with batch norm and dropout, in
// double precision on the reference backend.
//
// Tolerance, relative = max |backprop − numerical| / max |gradient| per tensor:
// - h = 1e-5 in float64: truncation error h²/6·|L'''| ≈ 1e-11 and rounding ε·|L|/h ≈ 4e-11, so
//   the differencing itself is good to ≈ 1e-10 (changing h from 1e-4 to 1e-6 does not move the
//   results below, which confirms it).
// - The larger, systematic term is the book's loss itself: cross_entropy_error takes
//   log(p + 1e-7), whose exact derivative is (y − t)·p/(p + 1e-7), while SoftmaxWithLoss's
//   backward is the textbook (y − t). They differ by 1e-7/p relative; with 3–4 classes and
//   near-uniform probabilities (p ≳ 0.05) that is ≲ 2e-6 — measured ≈ 1e-6.
// So REL_TOL = 1e-5: 5× above the loss's own discrepancy, and three orders of magnitude below
// what a real backprop bug (a missing term, a wrong index, a dropped weight-decay λ·W) produces;
// the last test shows that a 1 % error in one gradient fails.
// Gradients that are zero in exact arithmetic (an Affine bias followed by batch norm, whose mean
// subtraction cancels it) are compared in absolute terms instead: both must be ≤ 1e-9.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { MultiLayerNetExtend, SimpleConvNet, TwoLayerNet, gradientCheck, type Sequential } from '../../lib/networks';
import { Rng } from '../../lib/tensor/rng';
import { Tensor } from '../../lib/tensor/tensor';

const H = 1e-5;
const REL_TOL = 1e-5;
const ZERO_TOL = 1e-9;

function randomInput(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const x = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  return x;
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

function checkAll(t: import('ava').ExecutionContext, net: Sequential, x: Tensor, labels: Int32Array | Tensor,
  zeroGradients: string[] = []): void {
  const result = gradientCheck(net, x, labels, H);
  t.deepEqual(Object.keys(result).sort(), Object.keys(net.params).sort(), 'every parameter is checked');
  for (const [name, r] of Object.entries(result)) {
    if (zeroGradients.includes(name)) {
      t.true(maxAbs(net.grads[name]) <= ZERO_TOL && r.maxAbs <= ZERO_TOL, `${name}: expected a zero gradient, backprop max ${maxAbs(net.grads[name])}, difference ${r.maxAbs}`);
      continue;
    }
    t.true(maxAbs(net.grads[name]) > 1e-3, `${name}: gradients large enough for a meaningful check (max ${maxAbs(net.grads[name])})`);
    t.true(r.relative <= REL_TOL, `${name} ${JSON.stringify(r.shape)}: relative ${r.relative.toExponential(2)}, max abs ${r.maxAbs.toExponential(2)}`);
  }
}

test('SimpleConvNet (float64, reference): backprop = numerical gradient, weight decay included', (t) => {
  const net = new SimpleConvNet({
    backend: referenceBackend, dtype: 'float64', seed: 3,
    inputDim: [2, 8, 8], convParam: { filterNum: 3, filterSize: 3, pad: 1, stride: 1 },
    hiddenSize: 6, outputSize: 4, weightInitStd: 0.3, weightDecayLambda: 0.1,
  });
  const x = randomInput([3, 2, 8, 8], 11);
  checkAll(t, net, x, Int32Array.from([0, 3, 1]));
});

test('SimpleConvNet with stride 2 and one-hot labels', (t) => {
  const net = new SimpleConvNet({
    backend: referenceBackend, dtype: 'float64', seed: 5,
    inputDim: [1, 9, 9], convParam: { filterNum: 2, filterSize: 3, pad: 0, stride: 2 }, // (9 − 3)/2 + 1 = 4, pooled to 2
    hiddenSize: 5, outputSize: 3, weightInitStd: 'he',
  });
  const x = randomInput([2, 1, 9, 9], 12);
  const oneHot = Tensor.from([0, 0, 1, 0, 1, 0], [2, 3], 'float64');
  checkAll(t, net, x, oneHot);
});

test('MultiLayerNetExtend with batch norm and dropout (masks held fixed): backprop = numerical gradient', (t) => {
  const net = new MultiLayerNetExtend({
    backend: referenceBackend, dtype: 'float64', seed: 9,
    inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, activation: 'relu', weightInitStd: 'he',
    useBatchnorm: true, useDropout: true, dropoutRation: 0.3, weightDecayLambda: 0.05,
  });
  const x = randomInput([4, 6], 13);
  const before = Array.from(net.buffers.runningMean1.data);
  // b1, b2 feed batch norm, whose mean subtraction cancels any bias: their gradient is exactly 0.
  checkAll(t, net, x, Int32Array.from([2, 0, 1, 2]), ['b1', 'b2']);
  // numericalGradient restores the running averages it touched; only gradient()'s one training forward moved them.
  t.notDeepEqual(Array.from(net.buffers.runningMean1.data), before);
});

test('MultiLayerNetExtend with sigmoid and no extras', (t) => {
  const net = new MultiLayerNetExtend({
    backend: referenceBackend, dtype: 'float64', seed: 2,
    inputSize: 5, hiddenSizeList: [4], outputSize: 3, activation: 'sigmoid', weightInitStd: 1,
  });
  checkAll(t, net, randomInput([3, 5], 14), Int32Array.from([1, 2, 0]));
});

test('TwoLayerNet (the book\'s ch. 5 network) with weight decay: backprop = numerical gradient', (t) => {
  const net = new TwoLayerNet({
    backend: referenceBackend, dtype: 'float64', seed: 4, inputSize: 7, hiddenSize: 5, outputSize: 3, weightInitStd: 0.5, weightDecayLambda: 0.1,
  });
  checkAll(t, net, randomInput([4, 7], 15), Int32Array.from([0, 2, 1, 1]));
});

test('the check detects a 1 % error in one layer\'s backward', (t) => {
  const net = new MultiLayerNetExtend({
    backend: referenceBackend, dtype: 'float64', seed: 9, inputSize: 6, hiddenSizeList: [5], outputSize: 3, weightInitStd: 'he',
  });
  const affine2 = net.layers[2];
  const backward = affine2.backward.bind(affine2);
  affine2.backward = (dout: Tensor) => {
    const dx = backward(dout);
    const g = affine2.grads.W.data;
    for (let i = 0; i < g.length; i++) g[i] *= 1.01;
    return dx;
  };
  const r = gradientCheck(net, randomInput([4, 6], 13), Int32Array.from([2, 0, 1, 2]), H);
  t.true(r.W2.relative > 1e-4, `W2 relative ${r.W2.relative}`);
  t.true(r.W1.relative <= REL_TOL);
});
