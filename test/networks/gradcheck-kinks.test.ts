// gradientCheck says when its own numbers cannot be trusted: ReLU and max-pooling inputs within
// the finite-difference step of a kink are counted per parameter, the error a correct backprop
// shows without them is stated, and nonzero biases on random inputs make the check exact again.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { loadMnist } from '../../lib/data/mnist';
import { Affine, Convolution, Pooling, Relu } from '../../lib/layers';
import { Sequential, gradientCheck } from '../../lib/networks';
import { Rng } from '../../lib/tensor/rng';
import { Tensor } from '../../lib/tensor/tensor';

const H = 1e-5;

function twoConvNet(): Sequential {
  return new Sequential({
    inputShape: [1, 12, 12], backend: referenceBackend, dtype: 'float64', seed: 4,
    layers: [
      new Convolution({ filters: 3, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2, stride: 2 }),
      new Convolution({ filters: 4, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2, stride: 2 }),
      new Affine({ units: 10, weightInit: 'he' }),
    ],
  });
}

/** The top-left 12×12 corner of two MNIST digits: mostly blank (0) pixels, as in the issue. */
function blankCorners(): { x: Tensor; t: Int32Array } {
  const { xTrain, tTrain } = loadMnist({ flatten: false, trainSize: 2 });
  const full = xTrain.toTensor('float64');
  const x = Tensor.zeros([2, 1, 12, 12], 'float64');
  for (let s = 0; s < 2; s++) for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) {
    x.data[s * 144 + i * 12 + j] = full.data[s * 784 + (i + 8) * 28 + j + 8];
  }
  return { x, t: Int32Array.from(tTrain.labels) };
}

test('zero biases on blank pixels: the kinks are counted and named, and the check says why it differs', (t) => {
  const net = twoConvNet();
  const { x, t: labels } = blankCorners();
  const r = gradientCheck(net, x, labels, H);
  t.true(r.b1.kinkHits > 0, r.b1.message);
  t.regex(r.b1.message, /^b1: relative .* lie within h = 0\.00001 of a kink, .*Fix: nonzero biases/);
  t.regex(r.b1.message, /Relu1 [\d,]+ inputs? of [\d,]+/);
  // The last Affine's parameters come after every kink: nothing to cross, and they agree.
  t.is(r.W3.kinkHits, 0);
  t.true(r.W3.relative <= 10 * r.W3.expectedRelative, r.W3.message);
  t.regex(r.W3.message, /^W3: relative .* agrees; expected ≲ .* without kinks\.$/);
  const perLayer = net.kinkHits(x, H);
  t.deepEqual(perLayer.map((k) => [k.layer, k.kind, k.index]),
    [['Relu1', 'Relu', 1], ['Pool1', 'Pooling', 2], ['Relu2', 'Relu', 4], ['Pool2', 'Pooling', 5]]);
  t.is(perLayer[0].total, 2 * 3 * 12 * 12);
  t.is(perLayer[1].total, 2 * 3 * 6 * 6);
  t.true(perLayer[0].hits > 0);
  t.log(Object.values(r).map((e) => e.message).join('\n'));
});

test('nonzero biases and random inputs: no kink hit, and every parameter within the stated error', (t) => {
  const net = twoConvNet();
  const rng = new Rng(8);
  for (const [name, p] of Object.entries(net.params)) {
    if (name.startsWith('b')) for (let i = 0; i < p.size; i++) p.data[i] = 0.05 + 0.1 * rng.uniform();
  }
  const x = Tensor.zeros([2, 1, 12, 12], 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  const r = gradientCheck(net, x, Int32Array.from([3, 7]), H);
  for (const [name, e] of Object.entries(r)) {
    t.is(e.kinkHits, 0, e.message);
    t.true(e.expectedRelative > 1e-9 && e.expectedRelative < 1e-5, `${name}: expected ${e.expectedRelative}`);
    t.true(e.relative <= 10 * e.expectedRelative, e.message);
  }
  t.true(net.kinkHits(x, H).every((k) => k.hits === 0));
});

test('kinkHits leaves the network as it found it (dropout positions, batch-norm averages)', (t) => {
  const net = twoConvNet();
  const x = Tensor.zeros([1, 1, 12, 12], 'float64');
  const before = net.predict(x);
  net.kinkHits(x, H);
  t.deepEqual(Array.from(net.predict(x).data), Array.from(before.data));
  t.throws(() => net.kinkHits(x, -1), { message: /Sequential\.kinkHits: h must be a number in \[0, ∞\], received -1/ });
});
