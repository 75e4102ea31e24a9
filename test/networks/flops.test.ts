// The GEMM FLOP count behind bench-floor's compute floor, against the figures in
// ../shared/PERFORMANCE.md (one 60,000-image epoch: SimpleConvNet 259.6 GFLOP, LeNet5 135.8,
// DeepConvNet 3,144) and the per-layer breakdown it gives for SimpleConvNet at batch 100.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { Affine, Relu } from '../../lib/layers';
import { createPreset, Sequential } from '../../lib/networks';
import { gemmFlops } from '../../lib/networks/flops';

const EPOCH = 60000;

for (const [name, gflop, digits] of [['simple-convnet', '259.6', 1], ['lenet5', '135.8', 1], ['deep-convnet', '3144', 0]] as const) {
  test(`${name}: one training epoch is ${gflop} GFLOP of dense GEMM work`, (t) => {
    const f = gemmFlops(createPreset(name, { backend: referenceBackend }));
    t.is(((f.training * EPOCH) / 1e9).toFixed(digits), gflop);
  });
}

test('SimpleConvNet at batch 100: conv forward and weight gradient 86.4 MFLOP each, no conv dx; Affine1 86.4 × 3', (t) => {
  const f = gemmFlops(createPreset('simple-convnet', { backend: referenceBackend }));
  const mflop = (x: number) => Number(((x * 100) / 1e6).toFixed(1));
  t.deepEqual(f.layers.map((l) => [l.layer, mflop(l.forward), mflop(l.weightGradient), mflop(l.inputGradient)]), [
    ['Conv1', 86.4, 86.4, 0],
    ['Affine1', 86.4, 86.4, 86.4],
    ['Affine2', 0.2, 0.2, 0.2],
  ]);
  t.is(mflop(f.training), 432.6);
  t.is(mflop(f.forward), 173);
});

test('the first layer has no input gradient whatever its kind; layers without weights count nothing', (t) => {
  const net = new Sequential({
    backend: referenceBackend, inputShape: [20],
    layers: [new Affine({ units: 30 }), new Relu(), new Affine({ units: 10 })],
  });
  const f = gemmFlops(net);
  t.deepEqual(f.layers.map((l) => [l.forward, l.weightGradient, l.inputGradient]), [[1200, 1200, 0], [600, 600, 600]]);
  t.is(f.training, 4200);
  t.is(f.forward, 1800);
});
