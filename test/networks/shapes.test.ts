// Shapes are inferred layer by layer when a network is built: the book's presets get the
// book's parameter shapes without anyone typing 64·4·4, and a stack that cannot fit fails at
// construction, naming the layer.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { ImageSet, LabelSet } from '../../lib/data/dataset';
import { Affine, BatchNormalization, Convolution, Dropout, Flatten, Pooling, Relu, Sigmoid } from '../../lib/layers';
import {
  ConvNet1FC, DeepConvNet, LeNet5, MultiLayerNet, MultiLayerNetExtend, Sequential, SimpleConvNet, TwoLayerNet, createPreset,
} from '../../lib/networks';
import { ShapeError } from '../../lib/tensor/shape';
import { Tensor } from '../../lib/tensor/tensor';

// Shape tests need no fast kernels; the reference backend keeps them independent of the addon.
const backend = referenceBackend;

function shapes(net: Sequential): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(net.params)) out[k] = v.shape;
  return out;
}

test('SimpleConvNet has the book\'s parameters W1 (30,1,5,5) … W3 (100,10)', (t) => {
  const net = new SimpleConvNet({ backend });
  t.deepEqual(shapes(net), {
    W1: [30, 1, 5, 5], b1: [30],
    W2: [30 * 12 * 12, 100], b2: [100],
    W3: [100, 10], b3: [10],
  });
  t.deepEqual(net.layers.map((l) => l.name), ['Conv1', 'Relu1', 'Pool1', 'Affine1', 'Relu2', 'Affine2']);
  t.deepEqual(net.outputShape, [10]);
  t.false(net.layers[0].needInputGrad, 'the first layer skips its input gradient');
  t.true(net.layers.slice(1).every((l) => l.needInputGrad));
  // Init is the book's weight_init_std · N(0, 1): std of W1 close to 0.01.
  const w = net.params.W1.data;
  let s2 = 0;
  for (const v of w) s2 += v * v;
  t.true(Math.abs(Math.sqrt(s2 / w.length) - 0.01) < 0.002);
});

test('SimpleConvNet options: inputDim, convParam, hiddenSize, outputSize', (t) => {
  const net = new SimpleConvNet({
    backend, inputDim: [3, 32, 32], convParam: { filterNum: 8, filterSize: 3, pad: 1, stride: 1 }, hiddenSize: 20, outputSize: 5,
  });
  t.deepEqual(shapes(net), { W1: [8, 3, 3, 3], b1: [8], W2: [8 * 16 * 16, 20], b2: [20], W3: [20, 5], b3: [5] });
});

test('ConvNet1FC is Conv–Relu–Pool–Affine with W1, W2', (t) => {
  const net = new ConvNet1FC({ backend });
  t.deepEqual(shapes(net), { W1: [30, 1, 5, 5], b1: [30], W2: [4320, 10], b2: [10] });
});

test('LeNet5 infers 16·5·5 = 400 inputs for its first Affine', (t) => {
  const net = new LeNet5({ backend });
  t.deepEqual(shapes(net), {
    W1: [6, 1, 5, 5], b1: [6], W2: [16, 6, 5, 5], b2: [16],
    W3: [400, 120], b3: [120], W4: [120, 84], b4: [84], W5: [84, 10], b5: [10],
  });
  const sig = new LeNet5({ backend, activation: 'sigmoid' });
  t.is(sig.layers.filter((l) => l.kind === 'Sigmoid').length, 4);
});

test('DeepConvNet matches chapter 8: W1 (16,1,3,3) … W7 (1024,50), W8 (50,10), He init from inferred fan-in', (t) => {
  const net = new DeepConvNet({ backend });
  t.deepEqual(shapes(net), {
    W1: [16, 1, 3, 3], b1: [16], W2: [16, 16, 3, 3], b2: [16],
    W3: [32, 16, 3, 3], b3: [32], W4: [32, 32, 3, 3], b4: [32],
    W5: [64, 32, 3, 3], b5: [64], W6: [64, 64, 3, 3], b6: [64],
    W7: [1024, 50], b7: [50], W8: [50, 10], b8: [10],
  });
  t.deepEqual(net.layers.map((l) => l.kind), [
    'Convolution', 'Relu', 'Convolution', 'Relu', 'Pooling',
    'Convolution', 'Relu', 'Convolution', 'Relu', 'Pooling',
    'Convolution', 'Relu', 'Convolution', 'Relu', 'Pooling',
    'Affine', 'Relu', 'Dropout', 'Affine', 'Dropout',
  ]);
  // The book's pre_node_nums: He std √(2/fan-in) with fan-in 1·3·3 for W1 and 64·4·4 for W7.
  const std = (name: string) => {
    const d = net.params[name].data;
    let s2 = 0;
    for (const v of d) s2 += v * v;
    return Math.sqrt(s2 / d.length);
  };
  t.true(Math.abs(std('W7') / Math.sqrt(2 / 1024) - 1) < 0.03, `W7 std ${std('W7')}`);
  t.true(Math.abs(std('W6') / Math.sqrt(2 / (64 * 9)) - 1) < 0.03, `W6 std ${std('W6')}`);
});

test('MultiLayerNetExtend numbers gamma/beta like the book and keeps running stats as buffers', (t) => {
  const net = new MultiLayerNetExtend({
    backend, inputSize: 784, hiddenSizeList: [100, 50], outputSize: 10, useBatchnorm: true, useDropout: true, dropoutRation: 0.2,
  });
  t.deepEqual(shapes(net), {
    W1: [784, 100], b1: [100], gamma1: [100], beta1: [100],
    W2: [100, 50], b2: [50], gamma2: [50], beta2: [50],
    W3: [50, 10], b3: [10],
  });
  t.deepEqual(Object.keys(net.buffers), ['runningMean1', 'runningVar1', 'runningMean2', 'runningVar2']);
  t.deepEqual(net.layers.map((l) => l.name), [
    'Affine1', 'BatchNorm1', 'Relu1', 'Dropout1', 'Affine2', 'BatchNorm2', 'Relu2', 'Dropout2', 'Affine3',
  ]);
  t.is((net.layers[3] as Dropout).ratio, 0.2);
  const plain = new MultiLayerNet({ backend, inputSize: 784, hiddenSizeList: [100, 100], outputSize: 10, activation: 'sigmoid', weightInitStd: 'xavier' });
  t.deepEqual(Object.keys(plain.params), ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
  t.throws(() => new MultiLayerNetExtend({ backend, inputSize: 4, hiddenSizeList: [3], outputSize: 2, dropoutRation: 0.1, dropoutRatio: 0.3 }), {
    message: /dropoutRation \(0\.1\) and dropoutRatio \(0\.3\)/,
  });
});

test('TwoLayerNet is the book\'s Affine–Relu–Affine with W1 (784,50) … b2 (10) and std 0.01 weights', (t) => {
  const net = new TwoLayerNet({ backend });
  t.deepEqual(shapes(net), { W1: [784, 50], b1: [50], W2: [50, 10], b2: [10] });
  t.deepEqual(net.layers.map((l) => l.name), ['Affine1', 'Relu1', 'Affine2']);
  t.deepEqual(net.inputShape, [784]);
  const w = net.params.W1.data;
  let s2 = 0;
  for (const v of w) s2 += v * v;
  t.true(Math.abs(Math.sqrt(s2 / w.length) - 0.01) < 0.0005, 'the book\'s weight_init_std 0.01');
  t.true(net.params.b1.data.every((v) => v === 0));
  const he = new TwoLayerNet({ backend, inputSize: 20, hiddenSize: 30, outputSize: 4, weightInitStd: 'he', seed: 1 });
  t.deepEqual(shapes(he), { W1: [20, 30], b1: [30], W2: [30, 4], b2: [4] });
  // A 28×28 image batch is viewed as 784 values, as the book's load_mnist(flatten=True) gives them.
  t.deepEqual(net.predict(Tensor.zeros([2, 1, 28, 28])).shape, [2, 10]);
  t.deepEqual(createPreset('two-layer-net', { backend }).params.W1.shape, [784, 50]);
  t.throws(() => new TwoLayerNet({ backend, hiddenSize: 0 }), { message: /TwoLayerNet: hiddenSize must be a positive integer \(the book: 50\), received 0/ });
  t.throws(() => new TwoLayerNet({ backend, hidden_size: 50 } as never), { message: /TwoLayerNet: unknown option 'hidden_size'.*hiddenSize/ });
});

test('a user-defined stack builds with inferred shapes; add() extends it', (t) => {
  const net = new Sequential({
    backend,
    inputShape: [1, 28, 28],
    layers: [
      new Convolution({ filters: 4, kernelSize: [3, 5], stride: 1, pad: 1 }),
      new BatchNormalization(),
      new Sigmoid(),
      new Pooling({ poolH: 2 }),
      new Flatten(),
      new Affine({ units: 32, weightInit: 'he' }),
      new Relu(),
    ],
  });
  // 28 + 2 − 3 + 1 = 28 rows, 28 + 2 − 5 + 1 = 26 columns; pooled to 14 × 13.
  t.deepEqual(net.layers[0].outputShape, [4, 28, 26]);
  t.deepEqual(net.layers[3].outputShape, [4, 14, 13]);
  t.deepEqual(net.layers[4].outputShape, [4 * 14 * 13]);
  t.deepEqual(net.params.W2.shape, [4 * 14 * 13, 32]);
  // Per-channel batch norm on images: one gamma per channel.
  t.deepEqual(net.params.gamma1.shape, [4]);
  net.add(new Affine({ units: 10 }));
  t.deepEqual(net.params.W3.shape, [32, 10]);
  t.deepEqual(net.outputShape, [10]);
  const x = Tensor.zeros([2, 1, 28, 28]);
  t.deepEqual(net.predict(x).shape, [2, 10]);
});

test('a kernel larger than the incoming map fails at build time naming the layer', (t) => {
  const err = t.throws(() => new Sequential({
    backend,
    inputShape: [1, 10, 10],
    layers: [
      new Convolution({ filters: 2, kernelSize: 3 }), // 10 → 8
      new Pooling({ poolH: 2 }), // 8 → 4
      new Convolution({ filters: 2, kernelSize: 3 }), // 4 → 2
      new Convolution({ filters: 2, kernelSize: 7 }), // 7 on a 2×2 map
    ],
  }), { instanceOf: ShapeError });
  t.regex(err!.message, /^Conv3 \(2 filters 7×7/);
  t.regex(err!.message, /\(1, 2, 2, 2\)/, 'names the incoming shape');
  t.regex(err!.message, /Fix:/);

  const err5 = t.throws(() => new Sequential({
    backend, inputShape: [1, 5, 5], layers: [new Convolution({ filters: 1, kernelSize: 7 })],
  }), { instanceOf: ShapeError });
  t.regex(err5!.message, /Conv1 .*7-wide kernel does not fit the input height 5/);
});

test('a stride that does not divide (24 − 4 = 20 by 3) floors, and summary says which input it ignores', (t) => {
  const net = new Sequential({
    backend,
    inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 4, kernelSize: 5 }), new Relu(), new Convolution({ filters: 4, kernelSize: 4, stride: 3 })],
  });
  t.deepEqual(net.layers[2].outputShape, [4, 7, 7]);
  const s = net.summary();
  t.regex(s, /Unused input: Conv2 ignores input rows 22, 23 \(of 24\): floor\(\(24 \+ 2·0 − 4\) \/ 3\) \+ 1 = 7 windows; columns 22, 23 \(of 24\)/);
  t.notRegex(s, /Unused input: Conv1/);
});

test('Pooling after Affine fails at build time naming the layer', (t) => {
  const err = t.throws(() => new Sequential({
    backend,
    inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 2, kernelSize: 5 }), new Affine({ units: 10 }), new Pooling({ poolH: 2 })],
  }), { instanceOf: ShapeError });
  t.regex(err!.message, /^Pool1: /);
  t.regex(err!.message, /pool only after a Convolution/);
});

test('other stack errors: non-Layer entries, SoftmaxWithLoss in the middle, unknown options, scores that are not a vector', (t) => {
  t.throws(() => new Sequential({ backend, inputShape: [784], layers: [{ type: 'Affine', units: 10 } as never] }), {
    message: /layers\[0\] is not a Layer.*Sequential\.fromConfig/,
  });
  t.throws(() => new Sequential({ backend, inputShape: [0, 28] }), { message: /inputShape must be a non-empty list of positive integers/ });
  t.throws(() => new SimpleConvNet({ backend, hiddenSizes: 3 } as never), { message: /unknown option 'hiddenSizes'.*hiddenSize/ });
  t.throws(() => new SimpleConvNet({ backend, convParam: { filters: 3 } as never }), { message: /unknown option 'filters'.*filterNum/ });
  const conv = new Sequential({ backend, inputShape: [1, 8, 8], layers: [new Convolution({ filters: 2, kernelSize: 3 })] });
  t.throws(() => conv.loss(Tensor.zeros([1, 1, 8, 8]), new Int32Array(1)), { message: /Conv1 outputs \(2, 6, 6\).*end the stack with an Affine/ });
  t.throws(() => createPreset('alexnet'), { message: /unknown model 'alexnet'.*simple-convnet/ });
});

test('summary lists every layer with output shape and parameter count, and the totals', (t) => {
  const net = new SimpleConvNet({ backend });
  const s = net.summary();
  const line = (name: string) => s.split('\n').find((l) => l.startsWith(name + ' '))!;
  t.regex(line('Conv1'), /Convolution \(30 filters 5×5, stride 1, pad 0\)\s+\(30, 24, 24\)\s+780$/);
  t.regex(line('Pool1'), /\(30, 12, 12\)\s+0$/);
  t.regex(line('Affine1'), /\(100\)\s+432,100$/);
  t.regex(line('Affine2'), /\(10\)\s+1,010$/);
  // 780 + 432,100 + 1,010
  t.regex(s, /Total params: 433,890/);
  t.regex(s, /W2 \(4320, 100\)/);
  t.regex(new DeepConvNet({ backend }).summary(), /Pool3 .*\(64, 4, 4\)/);
  t.regex(new LeNet5({ backend }).summary(), /Total params: 61,706/);
});

test('toConfig / fromConfig round trip rebuilds the same stack, and the same init from the same seed', (t) => {
  const net = new LeNet5({ backend, seed: 7 });
  const json = JSON.stringify(net.toConfig());
  const copy = Sequential.fromConfig(json, { backend, seed: 7 });
  t.deepEqual(shapes(copy), shapes(net));
  t.deepEqual(Array.from(copy.params.W3.data.subarray(0, 20)), Array.from(net.params.W3.data.subarray(0, 20)));
  t.deepEqual(copy.toConfig(), net.toConfig());
});

test('fromConfig errors name the bad entry', (t) => {
  const ok = { inputShape: [784], layers: [{ type: 'Affine', units: 10 }] };
  t.notThrows(() => Sequential.fromConfig(ok, { backend }));
  t.throws(() => Sequential.fromConfig('{ nope', { backend }), { message: /not valid JSON/ });
  t.throws(() => Sequential.fromConfig({ ...ok, layer: [] } as never, { backend }), { message: /unknown option 'layer'.*Did you mean 'layers'/ });
  t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [{ type: 'Affine', units: 10 }, { type: 'Dense', units: 3 }] }, { backend }), {
    message: /layers\[1\] \{"type":"Dense","units":3\}.*unknown layer type 'Dense'/,
  });
  t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [{ type: 'Affine', units: 10, size: 3 }] }, { backend }), {
    message: /layers\[0\].*unknown option 'size'/,
  });
  t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [{ units: 10 }] } as never, { backend }), {
    message: /layers\[0\] \{"units":10\} must be an object with a string "type"/,
  });
  t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [] }, { backend }), { message: /layers must be a non-empty array/ });
  t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [{ type: 'Pooling' }] }, { backend }), {
    instanceOf: ShapeError, message: /Pool1/,
  });
});

test('accuracy batches through reused buffers and agrees for every input and label form', (t) => {
  const net = new MultiLayerNet({ backend, seed: 4, inputSize: 12, hiddenSizeList: [16], outputSize: 5, weightInitStd: 1 });
  const n = 53;
  const x = Tensor.zeros([n, 12]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i * 1.7);
  // Labels: the model's own prediction for odd samples, a different class for even ones.
  const scores = Array.from(net.predict(x).data);
  const labels = new Int32Array(n);
  let expected = 0;
  for (let i = 0; i < n; i++) {
    const row = scores.slice(i * 5, i * 5 + 5);
    const pred = row.indexOf(Math.max(...row));
    labels[i] = i % 2 ? pred : (pred + 1) % 5;
    if (i % 2) expected++;
  }
  const oneHot = Tensor.zeros([n, 5]);
  for (let i = 0; i < n; i++) oneHot.data[i * 5 + labels[i]] = 1;
  t.is(net.accuracy(x, labels), expected / n);
  t.is(net.accuracy(x, labels, 7), expected / n, 'a last partial batch');
  t.is(net.accuracy(ImageSet.fromTensor(x), LabelSet.fromArray(labels, 5), 10), expected / n);
  t.is(net.accuracy(x, oneHot, 20), expected / n);
  const buf = net.inputBuffer(7);
  net.accuracy(x, labels, 7);
  t.is(net.inputBuffer(7), buf, 'the batch buffer for a size is created once');
  t.throws(() => net.accuracy(x, labels.subarray(0, 50)), { message: /53 samples but 50 labels/ });
});
