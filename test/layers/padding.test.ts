// padding: 'same' | 'valid' | n on Convolution and Pooling (the Keras / TensorFlow.js habit),
// beside the book's pad: what each gives, the errors for what one symmetric pad cannot give, and
// the option surviving model files and checkpoints.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { referenceBackend } from '../../lib/backend/reference';
import { loadCheckpoint } from '../../lib/io/checkpoint';
import { Affine, Convolution, Pooling, Relu, layerFromConfig } from '../../lib/layers';
import { gemmFlops, Sequential } from '../../lib/networks';
import { ShapeError } from '../../lib/tensor/shape';
import { Tensor } from '../../lib/tensor/tensor';
import { Trainer } from '../../lib/train';
import { refCtx } from './helpers';

test("'same' with stride 1 and an odd kernel keeps the size on non-square inputs", (t) => {
  for (const k of [1, 3, 5, 7]) {
    const c = new Convolution({ filters: 2, kernelSize: k, padding: 'same' });
    t.deepEqual(c.build([3, 7, 10], refCtx()), [2, 7, 10], `kernel ${k}`);
    t.is(c.pad, (k - 1) / 2);
    t.is(c.describe(), `2 filters ${k}×${k}, stride 1, padding 'same' (pad ${(k - 1) / 2})`);
  }
  const p = new Pooling({ poolH: 3, stride: 1, padding: 'same' });
  t.deepEqual(p.build([2, 5, 8], refCtx()), [2, 5, 8]);
  t.is(p.pad, 1);
});

test("'same' with a stride gives ceil(in / stride) where one pad on every side gives it", (t) => {
  // 27 → 14: (14 − 1)·2 + 3 − 27 = 2 rows of padding, 1 on each side
  const c = new Convolution({ filters: 1, kernelSize: 3, stride: 2, padding: 'same' });
  t.deepEqual(c.build([1, 27, 27], refCtx()), [1, 14, 14]);
  t.is(c.pad, 1);
  // 28 → 14 with a 2×2 window: no padding at all
  const p = new Pooling({ poolH: 2, padding: 'same' });
  t.deepEqual(p.build([1, 28, 28], refCtx()), [1, 14, 14]);
  t.is(p.pad, 0);
  // 3×3 stride 3 on 10: 4 outputs, 2 rows of padding
  const q = new Pooling({ poolH: 3, padding: 'same' });
  t.deepEqual(q.build([1, 10, 10], refCtx()), [1, 4, 4]);
  t.is(q.pad, 1);
});

test("'same' that needs TensorFlow's uneven split is refused naming the layer, the geometry and the way out", (t) => {
  const c = new Convolution({ filters: 8, kernelSize: 3, stride: 2, padding: 'same' });
  c.name = 'Conv2';
  const e = t.throws(() => c.build([4, 28, 28], refCtx()), { instanceOf: ShapeError })!;
  t.regex(e.message, /^Conv2 \(8 filters 3×3, stride 2, padding 'same'\) on incoming shape \(1, 4, 28, 28\)/);
  t.regex(e.message, /ceil\(28 \/ 2\) = 14\) needs 1 row of padding in total, which TensorFlow splits 0 before and 1 after/);
  t.regex(e.message, /PyTorch refuses padding='same' with a stride above 1/);
  t.regex(e.message, /Fix: pad: 1 \(output height 14, the same size, each window one row above TensorFlow's\), or pad: 0 \(output height 13\), or an input height of 29 or 27/);
  // stride 1, even kernel: the total is k − 1, odd
  const even = t.throws(() => new Convolution({ filters: 1, kernelSize: 4, padding: 'same' }).build([1, 9, 9], refCtx()),
    { instanceOf: ShapeError })!;
  t.regex(even.message, /needs 3 rows of padding in total, which TensorFlow splits 1 before and 2 after/);
  t.regex(even.message, /an odd kernel size \(3 or 5\)/);
  t.notRegex(even.message, /PyTorch refuses/);
  // a pooling on an odd size
  t.throws(() => new Pooling({ poolH: 2, padding: 'same' }).build([1, 7, 7], refCtx()),
    { instanceOf: ShapeError, message: /^Pooling \(pool 2×2, stride 2, padding 'same'\).*pad: 1 \(output height 4, the same size/ });
  // a different pad per axis: one pad cannot do both
  const uneven = t.throws(() => new Convolution({ filters: 1, kernelSize: [3, 5], padding: 'same' }).build([1, 9, 9], refCtx()),
    { instanceOf: ShapeError })!;
  t.regex(uneven.message, /needs pad 1 on the height \(output 9\) but 2 on the width \(output 9\).*Fix: pad: 1 or pad: 2/);
});

test("'valid' is pad 0; pad and padding are alternatives; bad values are named", (t) => {
  const v = new Convolution({ filters: 1, kernelSize: 5, stride: 2, padding: 'valid' });
  t.deepEqual(v.build([1, 28, 28], refCtx()), [1, 12, 12]);
  t.is(v.pad, 0);
  t.is(v.describe(), "1 filters 5×5, stride 2, padding 'valid' (pad 0)");
  const n = new Pooling({ poolH: 3, stride: 2, padding: 1 });
  t.deepEqual(n.build([1, 8, 8], refCtx()), [1, 4, 4]);
  t.is(n.describe(), 'pool 3×3, stride 2, pad 1');
  t.throws(() => new Convolution({ filters: 1, kernelSize: 3, pad: 1, padding: 'same' }),
    { instanceOf: TypeError, message: /^Convolution: give either pad \(the book's, a number\) or padding .*not both; received pad 1 and padding "same"/ });
  t.throws(() => new Pooling({ pad: 'same' as never }),
    { instanceOf: RangeError, message: /^Pooling: pad must be an integer ≥ 0, received "same"\. Fix: write padding: "same"/ });
  t.throws(() => new Convolution({ filters: 1, kernelSize: 3, padding: 'full' as never }),
    { instanceOf: RangeError, message: /^Convolution: padding must be 'same', 'valid' or an integer ≥ 0 .*received "full"/ });
  t.throws(() => new Pooling({ padding: -1 }), { instanceOf: RangeError, message: /padding must be/ });
  t.throws(() => new Convolution({ filters: 1, kernelSize: 3, pad: 1.5 }), { instanceOf: RangeError, message: /pad must be an integer ≥ 0, received 1.5/ });
  // fromParams takes the padding too
  const W = Tensor.zeros([2, 1, 3, 3]);
  const b = Tensor.zeros([2]);
  const f = Convolution.fromParams(W, b, 1, 'same');
  t.deepEqual(f.build([1, 6, 5], refCtx()), [2, 6, 5]);
});

function paddedNet(seed = 0): Sequential {
  return new Sequential({
    backend: referenceBackend, seed, inputShape: [1, 11, 9],
    layers: [
      new Convolution({ filters: 3, kernelSize: 3, padding: 'same', weightInit: 'he' }), new Relu(),
      new Pooling({ poolH: 3, stride: 2, padding: 'valid' }),
      new Convolution({ filters: 2, kernelSize: 3, stride: 2, pad: 1, weightInit: 'he' }), new Relu(),
      new Affine({ units: 4, weightInit: 'he' }),
    ],
  });
}

test('model files keep the padding as written; FLOPs use the resolved pad', (t) => {
  const net = paddedNet();
  const cfg = net.toConfig();
  t.like(cfg.layers[0], { type: 'Convolution', padding: 'same' });
  t.false('pad' in cfg.layers[0]);
  t.like(cfg.layers[2], { type: 'Pooling', padding: 'valid' });
  t.like(cfg.layers[3], { type: 'Convolution', pad: 1 });
  t.false('padding' in cfg.layers[3]);
  const back = Sequential.fromConfig(JSON.parse(JSON.stringify(cfg)), { backend: referenceBackend });
  t.deepEqual(back.toConfig(), cfg);
  t.deepEqual(back.layers.map((l) => l.outputShape), net.layers.map((l) => l.outputShape));
  t.deepEqual(net.layers.map((l) => l.outputShape), [[3, 11, 9], [3, 11, 9], [3, 5, 4], [2, 3, 2], [2, 3, 2], [4]]);
  t.deepEqual(layerFromConfig({ type: 'Pooling', poolH: 2, padding: 'same' }).toConfig(), { type: 'Pooling', poolH: 2, poolW: 2, stride: 2, padding: 'same' });
  // conv1: 2·3·(1·3·3)·11·9 per product; conv2: 2·2·(3·3·3)·3·2; affine: 2·12·4
  const fl = gemmFlops(net);
  t.deepEqual(fl.layers.map((l) => l.forward), [2 * 3 * 9 * 99, 2 * 2 * 27 * 6, 2 * 12 * 4]);
});

test('parameter files and trainer checkpoints carry the padding and resume', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scratchnet-padding-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const x = Tensor.zeros([20, 1, 11, 9]);
  for (let i = 0; i < x.size; i++) x.data[i] = ((i * 7919) % 101) / 101;
  const labels = Int32Array.from({ length: 20 }, (_, i) => i % 4);
  const net = paddedNet(1);
  const trainer = new Trainer(net, x, labels, x, labels, { epochs: 2, miniBatchSize: 5, verbose: false, seed: 3 });
  for (let i = 0; i < 3; i++) trainer.step();
  const ckpt = path.join(dir, 'run.ckpt');
  trainer.saveCheckpoint(ckpt);
  const meta = loadCheckpoint<{ model: { layers: Array<Record<string, unknown>> } }>(ckpt).meta;
  t.is(meta.model.layers[0].padding, 'same');
  const again = Sequential.fromConfig(meta.model as never, { backend: referenceBackend });
  const resumed = Trainer.resume(ckpt, again, x, labels, x, labels, { verbose: false });
  t.notThrows(() => resumed.step());
  const params = path.join(dir, 'params.safetensors');
  net.saveParams(params);
  const loaded = Sequential.fromConfig(net.toConfig(), { backend: referenceBackend });
  loaded.loadParams(params);
  t.deepEqual([...loaded.predict(x).data], [...net.predict(x).data]);
});
