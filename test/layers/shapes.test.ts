// Shape inference at build time and the errors a wrong shape gives (at build and at forward).
import test from 'ava';
import { loadNative } from '../../lib/backend/native';
import type { Backend } from '../../lib/backend/types';
import {
  Affine, BatchNormalization, Convolution, Dropout, Flatten, Pooling, Relu, Sigmoid, type Layer,
} from '../../lib/layers';
import { ShapeError } from '../../lib/tensor/shape';
import { Tensor } from '../../lib/tensor/tensor';
import { randTensor, refCtx } from './helpers';

function buildAll(layers: Layer[], input: number[]): number[][] {
  const ctx = refCtx();
  const shapes: number[][] = [];
  let s = input;
  for (const l of layers) {
    s = l.build(s, ctx);
    shapes.push(s);
  }
  return shapes;
}

test('SimpleConvNet shapes: (1,28,28) → conv 30×5×5 → pool 2 → affine 100 → affine 10', (t) => {
  const layers = [
    new Convolution({ filters: 30, kernelSize: 5 }), new Relu(), new Pooling({ poolH: 2, stride: 2 }),
    new Affine({ units: 100 }), new Relu(), new Affine({ units: 10 }),
  ];
  t.deepEqual(buildAll(layers, [1, 28, 28]), [[30, 24, 24], [30, 24, 24], [30, 12, 12], [100], [100], [10]]);
  t.deepEqual(layers[0].params.W.shape, [30, 1, 5, 5]);
  t.deepEqual(layers[0].params.b.shape, [30]);
  t.deepEqual(layers[3].params.W.shape, [30 * 12 * 12, 100]);
  t.is(layers[3].paramCount(), 4320 * 100 + 100);
});

test('Convolution stride/pad and rectangular kernels', (t) => {
  t.deepEqual(new Convolution({ filters: 16, kernelSize: 3, pad: 1 }).build([1, 28, 28], refCtx()), [16, 28, 28]);
  t.deepEqual(new Convolution({ filters: 4, kernelSize: 3, stride: 2, pad: 1 }).build([3, 7, 9], refCtx()), [4, 4, 5]);
  const c = new Convolution({ filters: 2, kernelSize: [2, 3] });
  t.deepEqual(c.build([3, 5, 6], refCtx()), [2, 4, 4]);
  t.deepEqual(c.params.W.shape, [2, 3, 2, 3]);
});

test('Pooling defaults: 2×2 window, stride = window (the book networks pass stride=2)', (t) => {
  const p = new Pooling();
  t.is(p.poolH, 2);
  t.is(p.poolW, 2);
  t.is(p.stride, 2);
  t.deepEqual(p.build([3, 8, 6], refCtx()), [3, 4, 3]);
  t.deepEqual(new Pooling({ poolH: 3, stride: 1 }).build([2, 5, 5], refCtx()), [2, 3, 3]);
  t.deepEqual(new Pooling({ poolH: 3, stride: 2, pad: 1 }).build([2, 5, 5], refCtx()), [2, 3, 3]);
});

test('shape-preserving layers and Flatten', (t) => {
  for (const l of [new Relu(), new Sigmoid(), new Dropout(), new BatchNormalization()]) {
    t.deepEqual(l.build([3, 4, 5], refCtx()), [3, 4, 5], l.kind);
  }
  t.deepEqual(new Flatten().build([3, 4, 5], refCtx()), [60]);
  const bn4 = new BatchNormalization();
  bn4.build([3, 4, 5], refCtx());
  t.deepEqual(bn4.params.gamma.shape, [3], 'per channel for images');
  const bn2 = new BatchNormalization();
  bn2.build([7], refCtx());
  t.deepEqual(bn2.params.gamma.shape, [7], 'per feature for vectors');
  t.deepEqual([...bn2.params.gamma.data], [1, 1, 1, 1, 1, 1, 1]);
  t.deepEqual([...bn2.params.beta.data], [0, 0, 0, 0, 0, 0, 0]);
});

test('kernel larger than the input: ShapeError naming the layer and the fix', (t) => {
  const c = new Convolution({ filters: 8, kernelSize: 7 });
  c.name = 'Conv2';
  const e = t.throws(() => c.build([3, 5, 5], refCtx()), { instanceOf: ShapeError });
  t.regex(e!.message, /^Conv2/);
  t.regex(e!.message, /\(1, 3, 5, 5\)/);
  t.regex(e!.message, /Fix:/);
  const p = new Pooling({ poolH: 4 });
  t.throws(() => p.build([1, 3, 3], refCtx()), { instanceOf: ShapeError, message: /^Pooling/ });
});

test('output sizes floor as in the book and PyTorch: (6 − 3) / 2 + 1 = 2.5 gives 2', (t) => {
  const c = new Convolution({ filters: 2, kernelSize: 3, stride: 2 });
  c.name = 'Conv1';
  t.deepEqual(c.build([1, 6, 6], refCtx()), [2, 2, 2]);
  t.regex(c.unusedInput()!, /^ignores input row 5 \(of 6\): floor\(\(6 \+ 2·0 − 3\) \/ 2\) \+ 1 = 2 windows; column 5 \(of 6\)/);
  t.deepEqual(new Pooling({ poolH: 2 }).build([1, 5, 5], refCtx()), [1, 2, 2]);
  // 28×28, 5×5 stride 2: the example (12.5 → 12)
  t.deepEqual(new Convolution({ filters: 1, kernelSize: 5, stride: 2 }).build([1, 28, 28], refCtx()), [1, 12, 12]);
  // ResNet-style downsampling, 3×3 stride 2 pad 1 on 28: floor(27 / 2) + 1 = 14, every row read
  const r = new Convolution({ filters: 1, kernelSize: 3, stride: 2, pad: 1 });
  t.deepEqual(r.build([1, 28, 28], refCtx()), [1, 14, 14]);
  t.is(r.unusedInput(), null);
  // a stride above the window skips rows between windows: 1×1 stride 2 on 5 reads rows 0, 2, 4
  const s = new Pooling({ poolH: 1, stride: 2 });
  s.build([1, 5, 6], refCtx());
  t.regex(s.unusedInput()!, /rows 1, 3 \(of 5\).*columns 1, 3, 5 \(of 6\)/);
});

test('Convolution and Pooling refuse non-image inputs at build', (t) => {
  t.throws(() => new Convolution({ filters: 2, kernelSize: 3 }).build([784], refCtx()), { instanceOf: ShapeError, message: /flatten: false/ });
  t.throws(() => new Pooling().build([100], refCtx()), { instanceOf: ShapeError, message: /before any Affine/ });
});

test('wrong incoming shape at forward names the layer, both shapes and the fix', (t) => {
  const c = new Convolution({ filters: 2, kernelSize: 3 });
  c.name = 'Conv1';
  c.build([1, 8, 8], refCtx());
  const e = t.throws(() => c.forward(randTensor([4, 1, 9, 8])));
  t.regex(e!.message, /^Conv1/);
  t.regex(e!.message, /\(batch, 1, 8, 8\)/);
  t.regex(e!.message, /\(4, 1, 9, 8\)/);
  t.regex(e!.message, /Fix:/);
  const a = new Affine({ units: 3 });
  a.name = 'Affine1';
  a.build([784], refCtx());
  const e2 = t.throws(() => a.forward(randTensor([2, 1, 28, 28])));
  t.regex(e2!.message, /^Affine1/);
  t.regex(e2!.message, /\(batch, 784\)/);
  t.regex(e2!.message, /\(2, 1, 28, 28\)/);
  t.regex(e2!.message, /flatten: true/);
  const r = new Relu();
  r.build([5], refCtx());
  t.throws(() => r.forward(randTensor([5])), { message: /^Relu.*\(batch, 5\).*received \(5\)/s });
});

test('wrong dtype at forward, forward before build, backward before forward, wrong dout shape', (t) => {
  const r = new Relu();
  t.throws(() => r.forward(randTensor([2, 3])), { message: /before build/ });
  r.build([3], refCtx());
  t.throws(() => r.forward(randTensor([2, 3], 1, 'float64')), { instanceOf: TypeError, message: /Float32Array.*float32.*Float64Array/ });
  t.throws(() => r.backward(randTensor([2, 3])), { message: /before forward/ });
  r.forward(randTensor([2, 3]));
  t.throws(() => r.backward(randTensor([3, 3])), { message: /\(2, 3\).*\(3, 3\)/ });
});

test('a convolution backward may run once per forward (col is scratch for dx)', (t) => {
  const c = new Convolution({ filters: 2, kernelSize: 3 });
  c.build([1, 5, 5], refCtx());
  const out = c.forward(randTensor([2, 1, 5, 5]), true);
  c.backward(out);
  t.throws(() => c.backward(out), { message: /already run.*forward again/ });
});

test("dtype 'float64' only with the reference backend", (t) => {
  const nb = loadNative().backend;
  if (!nb) {
    t.log(`native backend not loaded; checking the refusal with a stand-in named 'native'`);
  }
  const backend: Backend = nb ?? { ...refCtx().backend, name: 'native' };
  const e = t.throws(() => new Relu().build([3], { ...refCtx(), backend, dtype: 'float64' }), { instanceOf: TypeError });
  t.regex(e!.message, /float64.*reference/);
  t.notThrows(() => new Relu().build([3], refCtx(1, 'float64')));
  t.throws(() => new Relu().build([3], { ...refCtx(), dtype: 'float16' as never }), { message: /float32' or 'float64/ });
});

test('invalid settings are refused at construction', (t) => {
  t.throws(() => new Convolution({ filters: 0, kernelSize: 3 }), { message: /filters must be an integer ≥ 1, received 0/ });
  t.throws(() => new Convolution({ filters: 2, kernelSize: [3] as never }), { message: /kernelSize/ });
  t.throws(() => new Convolution({ filters: 2, kernelSize: 3, weightInit: 'glorot' as never }), { message: /weightInit/ });
  t.throws(() => new Pooling({ poolH: 2.5 }), { message: /poolH/ });
  t.throws(() => new Dropout({ ratio: 1 }), { message: /ratio must be a number in \[0, 1\)/ });
  t.throws(() => new BatchNormalization({ momentum: 1.5 }), { message: /momentum/ });
  t.throws(() => new Affine({ units: 10, kernelSize: 3 } as never), { message: /unknown option 'kernelSize'. Allowed options: units, weightInit/ });
  t.throws(() => new Relu({ ratio: 0.5 } as never), { message: /Relu: unknown option 'ratio'/ });
});

test('forward output has the batch prepended to the output shape', (t) => {
  const layers = [new Convolution({ filters: 3, kernelSize: 3, pad: 1 }), new Pooling(), new Flatten(), new Affine({ units: 5 })];
  buildAll(layers, [2, 6, 6]);
  let x: Tensor = randTensor([7, 2, 6, 6]);
  const shapes: number[][] = [];
  for (const l of layers) {
    x = l.forward(x, true);
    shapes.push(x.shape);
  }
  t.deepEqual(shapes, [[7, 3, 6, 6], [7, 3, 3, 3], [7, 27], [7, 5]]);
});
