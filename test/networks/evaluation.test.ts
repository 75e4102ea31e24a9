// The evaluation path: accuracy() runs forward only, in batches sized from the network's shapes
// (up to 1000), allocates no backward buffers, and scores exactly what a training-mode forward
// at the training batch size scores.
import test from 'ava';
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { createPreset, MultiLayerNetExtend, type Sequential } from '../../lib/networks';

const backend = getBackend();
const data = loadMnist({ flatten: false });
const flat = loadMnist({ flatten: true });

function argmax(y: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (y[off + j] > y[off + best]) best = j;
  return best;
}

/** Accuracy from training-mode forwards at batch 100, counted here rather than by accuracy(). */
function trainingModeAccuracy(net: Sequential, n: number): number {
  const k = net.numClasses;
  const xb = net.inputBuffer(100);
  let correct = 0;
  for (let s = 0; s < n; s += 100) {
    data.xTest.gather(null, s, s + 100, xb.data);
    const y = net.predict(xb, true).data;
    for (let i = 0; i < 100; i++) if (argmax(y, i * k, k) === data.tTest.labels[s + i]) correct++;
  }
  return correct / n;
}

for (const [name, batch] of [['simple-convnet', 200], ['lenet5', 400]] as const) {
  test(`${name}: accuracy() forward-only at its batch size equals the training-mode forward at batch 100`, (t) => {
    const net = createPreset(name, { backend, seed: 3 });
    t.is(net.inferenceBatchSize, batch);
    // 1,300 images: whole batches and a tail that the last batch covers by overlapping.
    const n = 1300;
    const expected = trainingModeAccuracy(net, n);
    t.true(expected > 0.05 && expected < 0.95, `an untrained net scores in between (${expected}), so agreement is not trivial`);
    t.is(net.accuracy(data.xTest.slice(0, n), data.tTest.slice(0, n)), expected);
  });
}

test('a bigger evaluation batch gives the same accuracy, also with a partial last batch', (t) => {
  for (const [name, n, sizes] of [
    ['simple-convnet', 2000, [100, 300, 1000, 2000]],
    ['lenet5', 2000, [100, 700, 1000]],
    // Dropout in inference mode is a fixed scale, so batches cannot change the result either.
    ['deep-convnet', 300, [100, 70, 300]],
  ] as const) {
    const net = createPreset(name, { backend, seed: 1 });
    const x = data.xTest.slice(0, n);
    const labels = data.tTest.slice(0, n);
    const byDefault = net.accuracy(x, labels);
    for (const b of sizes) t.is(net.accuracy(x, labels, b), byDefault, `${name}: batch ${b} vs the default ${net.inferenceBatchSize}`);
  }
});

test('inferenceBatchSize: the most images whose forward buffers fit in 8 MiB, 200 to 1000, within 64 MiB, a multiple of 100', (t) => {
  const cache = 8 * 2 ** 20, budget = 64 * 2 ** 20;
  const expected: Record<string, number> = { 'simple-convnet': 200, lenet5: 400, 'deep-convnet': 200, 'two-layer-net': 1000 };
  for (const name of ['simple-convnet', 'conv-1fc', 'lenet5', 'deep-convnet', 'two-layer-net']) {
    const net = createPreset(name, { backend });
    let perSample = 784 * 4;
    for (const s of net.executionSteps()) perSample += s.forwardBytesPerSample();
    const b = net.inferenceBatchSize;
    t.true(b * perSample <= budget, `${name}: ${b} × ${perSample} B fits the memory budget`);
    t.true(b <= 200 || b * perSample <= cache, `${name}: ${b} × ${perSample} B fits the cache budget`);
    t.true(b === 1000 || b === 200 || (b + 100) * perSample > cache, `${name}: ${b} is the largest multiple of 100 that fits the cache`);
    t.true(b >= 200 && b <= 1000, `${name}: ${b}`);
    t.is(b % 100, 0, name);
    if (expected[name] !== undefined) t.is(b, expected[name], name);
  }
  // Run unfused, DeepConvNet's convolutions' im2col buffers (over 1 MB an image in all) bring it
  // below 100, under the memory budget.
  const unfused = createPreset('deep-convnet', { backend, fuse: false }).inferenceBatchSize;
  t.true(unfused >= 1 && unfused < 100, `unfused DeepConvNet: ${unfused}`);
});

/** Bytes of typed arrays the layers allocate while fn runs (kernel scratch in lib/backend not counted). */
function layerAllocations(fn: () => void): number {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved: Record<string, unknown> = {};
  let bytes = 0;
  for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array']) {
    const C = g[name] as { new (...a: unknown[]): ArrayBufferView; BYTES_PER_ELEMENT: number };
    saved[name] = C;
    g[name] = new Proxy(C, {
      construct(target, args, newTarget) {
        const made = Reflect.construct(target, args, newTarget) as ArrayBufferView;
        const where = new Error().stack ?? '';
        if (/[\\/]lib[\\/](layers|networks)[\\/]/.test(where) && !/[\\/]lib[\\/]backend[\\/]/.test(where)) bytes += made.byteLength;
        return made;
      },
    });
  }
  try {
    fn();
  } finally {
    Object.assign(g, saved);
  }
  return bytes;
}

test('evaluation at a new batch size allocates the forward buffers only: no dx, no dropout mask', (t) => {
  const nets: Array<[string, Sequential, typeof data.xTest, typeof data.tTest]> = [
    ['simple-convnet', createPreset('simple-convnet', { backend }), data.xTest, data.tTest],
    ['deep-convnet (fused Convolution → Relu, dropout)', createPreset('deep-convnet', { backend }), data.xTest, data.tTest],
    ['fuse: false (Convolution, Relu, Pooling one by one)', createPreset('lenet5', { backend, fuse: false }), data.xTest, data.tTest],
    ['batch norm + dropout', new MultiLayerNetExtend({
      backend, inputSize: 784, hiddenSizeList: [50, 50], outputSize: 10, useBatchnorm: true, useDropout: true,
    }), flat.xTest, flat.tTest],
  ];
  for (const [name, net, x, labels] of nets) {
    let perSample = net.inputShape.reduce((a, d) => a * d, 4);
    for (const s of net.executionSteps()) perSample += s.forwardBytesPerSample();
    const [x7, t7, x11, t11] = [x.slice(0, 7), labels.slice(0, 7), x.slice(0, 11), labels.slice(0, 11)];
    const bytes7 = layerAllocations(() => net.accuracy(x7, t7));
    const bytes11 = layerAllocations(() => net.accuracy(x11, t11));
    // The difference cancels what does not grow with the batch (batch norm's per-channel 1/σ).
    t.is(bytes11 - bytes7, 4 * perSample, `${name}: 4 more images cost ${bytes11 - bytes7} bytes; the forward buffers are ${perSample} an image`);
    t.true(bytes7 >= 7 * perSample && bytes7 - 7 * perSample < 4096, `${name}: ${bytes7} bytes for 7 images, ${7 * perSample} of forward buffers`);
    t.is(layerAllocations(() => net.accuracy(x11, t11)), 0, `${name}: a second evaluation allocates nothing`);
  }
});
