// ONNX export, checked by running the exported models in ONNX Runtime (onnxruntime-node, CPU) on
// real MNIST test images: the logits must match scratchnet's own within 1e-5 (max abs), for
// every network kind, at batch sizes 1, 7 and 200 (the batch axis is symbolic).
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { encodeOnnx, exportOnnx, ONNX_IR_VERSION, ONNX_OPSET } from '../../lib/export/onnx';
import { Convolution } from '../../lib/layers/convolution';
import { Affine } from '../../lib/layers/affine';
import { SimpleConvNet } from '../../lib/networks/presets';
import { Sequential } from '../../lib/networks/sequential';
import { Tensor } from '../../lib/tensor/tensor';
import { leftovers, tempDir } from '../helpers/tmpdir';
import { backendName, CASES, logits, maxAbsDiff, Swish, testImages, train } from './networks';

const TOL = 1e-5;

async function session(file: string): Promise<ort.InferenceSession> {
  // One thread: the suite shares two cores with the other test files.
  return ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function run(s: ort.InferenceSession, x: Tensor): Promise<ort.InferenceSession.OnnxValueMapType> {
  return s.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) });
}

for (const c of CASES) {
  test(`${c.name}: ONNX Runtime's logits on real MNIST test images equal scratchnet's within ${TOL}`, async (t) => {
    const net = train(c.make());
    const dir = tempDir(t, 'scratchnet-onnx-');
    const file = path.join(dir, 'model.onnx');
    const info = exportOnnx(net, file, { softmax: true });
    t.is(info.path, file);
    t.is(info.bytes, fs.statSync(file).size);
    const s = await session(file);
    t.deepEqual(s.inputNames, ['input']);
    t.deepEqual(s.outputNames, ['logits', 'probabilities']);
    for (const [n, from] of [[200, 0], [7, 300], [1, 9999]]) {
      const x = testImages(net, n, from);
      const want = logits(net, x);
      const out = await run(s, x);
      t.deepEqual(out.logits.dims, [n, 10]);
      const d = maxAbsDiff(out.logits.data as Float32Array, want);
      t.log(`${c.name}, batch ${n} (test images ${from}–${from + n - 1}), ${backendName()} backend: max |ONNX − scratchnet| = ${d.toExponential(2)}`);
      t.true(d <= TOL, `logits differ by ${d} (> ${TOL}) at batch ${n}`);
      // The probabilities output is the softmax of the logits.
      const p = out.probabilities.data as Float32Array;
      const l = out.logits.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const row = Array.from(l.subarray(i * 10, i * 10 + 10));
        const top = Math.max(...row);
        const e = row.map((v) => Math.exp(v - top));
        const sum = e.reduce((a, b) => a + b, 0);
        t.true(maxAbsDiff(p.subarray(i * 10, i * 10 + 10), e.map((v) => v / sum)) <= 1e-6, `probabilities of image ${from + i}`);
      }
    }
    // The exported network classifies like the original on the 200 images.
    const x = testImages(net, 200);
    const want = logits(net, x);
    const got = (await run(s, x)).logits.data as Float32Array;
    let same = 0;
    for (let i = 0; i < 200; i++) if (argmax(got, i) === argmax(want, i)) same++;
    t.is(same, 200);
  });
}

function argmax(a: ArrayLike<number>, row: number): number {
  let best = 0;
  for (let j = 1; j < 10; j++) if (a[row * 10 + j] > a[row * 10 + best]) best = j;
  return best;
}

test('the ONNX file: opset 13, IR 7, symbolic batch axis, the book\'s parameter names and layouts, logits as the output', (t) => {
  const net = new SimpleConvNet({ seed: 7 });
  const { bytes, info } = encodeOnnx(net);
  const m = onnx.ModelProto.decode(bytes);
  t.is(Number(m.irVersion), ONNX_IR_VERSION);
  t.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', ONNX_OPSET]]);
  t.is(m.producerName, 'scratchnet');
  const g = m.graph!;
  const dims = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  t.deepEqual(g.input!.map((v) => [v.name, dims(v)]), [['input', ['batch', 1, 28, 28]]]);
  t.deepEqual(g.output!.map((v) => [v.name, dims(v)]), [['logits', ['batch', 10]]]);
  t.deepEqual(info.outputs, [{ name: 'logits', shape: ['batch', 10] }]);
  // The logical layers, not the fused Convolution → Relu → Pooling kernel.
  t.deepEqual(g.node!.map((n) => `${n.opType}:${n.name}`), [
    'Conv:Conv1', 'Relu:Relu1', 'MaxPool:Pool1', 'Flatten:Affine1/Flatten', 'Gemm:Affine1', 'Relu:Relu2', 'Gemm:Affine2',
  ]);
  const init = new Map(g.initializer!.map((i) => [i.name, i]));
  t.deepEqual([...init.keys()].sort(), ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
  t.deepEqual(init.get('W1')!.dims!.map(Number), [30, 1, 5, 5]);
  // Affine keeps the book's W (in × out): Gemm without transposing B.
  t.deepEqual(init.get('W2')!.dims!.map(Number), [4320, 100]);
  const gemm = g.node!.find((n) => n.name === 'Affine1')!;
  t.is(Number(gemm.attribute!.find((a) => a.name === 'transB')!.i), 0);
  // The values are the network's, bit for bit, little-endian.
  const raw = init.get('W2')!.rawData!;
  const w2 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  t.deepEqual(w2, net.params.W2.data);
  const conv = g.node!.find((n) => n.name === 'Conv1')!;
  const attr = (name: string) => conv.attribute!.find((a) => a.name === name)!.ints!.map(Number);
  t.deepEqual(attr('pads'), [0, 0, 0, 0]);
  t.deepEqual(attr('strides'), [1, 1]);
  t.deepEqual(attr('kernel_shape'), [5, 5]);
  const meta = new Map(m.metadataProps!.map((p) => [p.key, p.value]));
  t.deepEqual(JSON.parse(meta.get('scratchnet.model')!), net.toConfig());
});

test('Dropout exports as the book\'s inference scaling (Mul by 1 − ratio), not as an identity', (t) => {
  const net = CASES.find((c) => c.name.startsWith('DeepConvNet'))!.make();
  const g = onnx.ModelProto.decode(encodeOnnx(net).bytes).graph!;
  const muls = g.node!.filter((n) => n.opType === 'Mul');
  t.deepEqual(muls.map((n) => n.name), ['Dropout1', 'Dropout2']);
  const scale = g.initializer!.find((i) => i.name === 'Dropout1/scale')!;
  t.is(new DataView(scale.rawData!.buffer, scale.rawData!.byteOffset, 4).getFloat32(0, true), 0.5);
  // DeepConvNet ends in a Dropout: its Mul yields the logits.
  t.deepEqual(muls[1].output, ['logits']);
  t.false(g.node!.some((n) => n.opType === 'Dropout'));
});

test('a layer without an ONNX counterpart is refused, naming the layer and the exportable kinds', (t) => {
  const net = new Sequential({ inputShape: [4], layers: [new Affine({ units: 3 }), new Swish(), new Affine({ units: 2 })] });
  const e = t.throws(() => encodeOnnx(net));
  t.regex(e!.message, /exportOnnx: Swish1 is a Swish layer, which has no ONNX\/PyTorch counterpart/);
  t.regex(e!.message, /Exportable layers: Convolution, Pooling, Relu, Sigmoid, Affine, BatchNormalization, Dropout, Flatten/);
});

test('a network that does not end in class scores, and bad arguments, are refused with the way out', (t) => {
  const convOnly = new Sequential({ inputShape: [1, 8, 8], layers: [new Convolution({ filters: 2, kernelSize: 3 })] });
  t.throws(() => encodeOnnx(convOnly), { message: /ends in Conv1 \(Convolution\), which outputs \(2, 6, 6\) per sample.*end the stack with an Affine layer/ });
  t.throws(() => encodeOnnx(new Sequential({ inputShape: [3] })), { message: /has no layers/ });
  t.throws(() => encodeOnnx({} as Sequential), { message: /expected a Sequential network/ });
  const net = new SimpleConvNet();
  t.throws(() => encodeOnnx(net, { softmax: 'yes' } as never), { message: /softmax must be true or false/ });
  t.throws(() => encodeOnnx(net, { opset: 17 } as never), { message: /unknown option 'opset'\. Allowed options: softmax, graphName, docString/ });
  t.throws(() => exportOnnx(net, ''), { message: /output path must be a non-empty string/ });
});

test('exportOnnx writes atomically: directories are created, no temp file is left, a failed write keeps the old file', (t) => {
  const dir = tempDir(t, 'scratchnet-onnx-');
  const file = path.join(dir, 'a', 'b', 'model.onnx');
  exportOnnx(new SimpleConvNet(), file);
  t.true(fs.statSync(file).size > 1_000_000);
  t.deepEqual(leftovers(path.dirname(file)), []);
  const before = fs.readFileSync(file);
  fs.chmodSync(path.dirname(file), 0o555);
  try {
    // root ignores directory permissions; the check only means something for other users.
    if (process.getuid?.() !== 0) t.throws(() => exportOnnx(new SimpleConvNet({ seed: 9 }), file), { message: /could not save .*model\.onnx/ });
  } finally {
    fs.chmodSync(path.dirname(file), 0o755);
  }
  if (process.getuid?.() !== 0) t.deepEqual(fs.readFileSync(file), before);
  t.throws(() => exportOnnx(new SimpleConvNet(), dir), { message: /could not save/ });
});

test('a float64 network is exported as float32 and still matches within 1e-5', async (t) => {
  const net = new Sequential({
    inputShape: [1, 28, 28], backend: 'reference', dtype: 'float64', seed: 11,
    layers: [new Convolution({ filters: 3, kernelSize: 5, stride: 3, pad: 2 }), new Affine({ units: 10 })],
  });
  const dir = tempDir(t, 'scratchnet-onnx-');
  const file = path.join(dir, 'f64.onnx');
  exportOnnx(net, file);
  const x = testImages(net, 20);
  const want = net.predict(Tensor.from(x.data, x.shape, 'float64'), false).data;
  const got = (await run(await session(file), x)).logits.data as Float32Array;
  const d = maxAbsDiff(got, want);
  t.log(`float64 network: max |ONNX (float32) − scratchnet (float64)| = ${d.toExponential(2)}`);
  t.true(d <= TOL);
});
