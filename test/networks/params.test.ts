// saveParams / loadParams: safetensors under the book's names, and loading that refuses any
// file that does not fit the network, naming the tensor and both shapes.
import test from 'ava';
import * as path from 'node:path';
import { referenceBackend } from '../../lib/backend/reference';
import { loadSafetensors, saveSafetensors } from '../../lib/io/safetensors';
import { LeNet5, MultiLayerNetExtend, SimpleConvNet } from '../../lib/networks';
import { Tensor } from '../../lib/tensor/tensor';
import { tempDir } from '../helpers/tmpdir';

const backend = referenceBackend;

test('saveParams / loadParams round trip restores every parameter and batch-norm buffer exactly', (t) => {
  const dir = tempDir(t, 'scratchnet-params-');
  const file = path.join(dir, 'params.safetensors');
  const a = new MultiLayerNetExtend({ backend, seed: 1, inputSize: 12, hiddenSizeList: [8, 6], outputSize: 3, useBatchnorm: true });
  // Move the running averages away from their zero start so the buffers are really compared.
  const x = Tensor.zeros([5, 12]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i);
  a.gradient(x, Int32Array.from([0, 1, 2, 1, 0]));
  a.saveParams(file);

  const stored = loadSafetensors(file);
  t.deepEqual(Object.keys(stored.tensors).sort(), [
    'W1', 'W2', 'W3', 'b1', 'b2', 'b3', 'beta1', 'beta2', 'gamma1', 'gamma2',
    'runningMean1', 'runningMean2', 'runningVar1', 'runningVar2',
  ]);
  t.true(stored.tensors.W1.data instanceof Float32Array, 'stored as float32');
  t.is(JSON.parse(stored.metadata.model).layers[1].type, 'BatchNormalization');

  const b = new MultiLayerNetExtend({ backend, seed: 2, inputSize: 12, hiddenSizeList: [8, 6], outputSize: 3, useBatchnorm: true });
  t.notDeepEqual(Array.from(b.params.W1.data), Array.from(a.params.W1.data));
  const w1 = b.params.W1;
  b.loadParams(file);
  t.is(b.params.W1, w1, 'loaded in place: optimizers holding the tensors keep working');
  for (const [name, tensor] of Object.entries(a.namedTensors())) {
    t.deepEqual(Array.from(b.namedTensors()[name].data), Array.from(tensor.data), name);
  }
  t.deepEqual(Array.from(b.predict(x).data), Array.from(a.predict(x).data));
});

test('a float64 network saves float32 and loads it back', (t) => {
  const dir = tempDir(t, 'scratchnet-params-');
  const file = path.join(dir, 'p.safetensors');
  const a = new SimpleConvNet({ backend, dtype: 'float64', inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 4, outputSize: 3 });
  a.saveParams(file);
  t.true(loadSafetensors(file).tensors.W1.data instanceof Float32Array);
  const b = new SimpleConvNet({ backend, dtype: 'float64', seed: 9, inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 4, outputSize: 3 });
  b.loadParams(file);
  t.deepEqual(Array.from(b.params.W2.data), Array.from(Float32Array.from(a.params.W2.data)));
});

test('a file whose tensor has the wrong shape fails naming the tensor and both shapes', (t) => {
  const dir = tempDir(t, 'scratchnet-params-');
  const file = path.join(dir, 'wide.safetensors');
  new SimpleConvNet({ backend, hiddenSize: 50 }).saveParams(file);
  const net = new SimpleConvNet({ backend });
  const before = Array.from(net.params.W1.data.subarray(0, 10));
  const err = t.throws(() => net.loadParams(file));
  t.regex(err!.message, new RegExp(`the file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not fit`));
  t.regex(err!.message, /tensor 'W2' has shape \(4320, 50\) but the network's W2 is \(4320, 100\)/);
  t.regex(err!.message, /tensor 'W3' has shape \(50, 10\) but the network's W3 is \(100, 10\)/);
  t.regex(err!.message, /tensor 'b2' has shape \(50\) but the network's b2 is \(100\)/);
  t.deepEqual(Array.from(net.params.W1.data.subarray(0, 10)), before, 'nothing is loaded from a file that does not fit');
});

test('missing and extra tensors are named', (t) => {
  const dir = tempDir(t, 'scratchnet-params-');
  const net = new LeNet5({ backend });
  const tensors: Record<string, Tensor> = { ...net.params };
  delete tensors.b4;
  tensors.W9 = Tensor.zeros([3, 3]);
  const file = path.join(dir, 'odd.safetensors');
  saveSafetensors(file, tensors);
  const err = t.throws(() => net.loadParams(file));
  t.regex(err!.message, /tensor 'b4' \(84\) is missing/);
  t.regex(err!.message, /unexpected tensor 'W9' \(3, 3\)/);
  t.regex(err!.message, /expects W1 \(6, 1, 5, 5\)/);
});

test('a float64 file does not load into a float32 network', (t) => {
  const dir = tempDir(t, 'scratchnet-params-');
  const net = new SimpleConvNet({ backend, inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 4, outputSize: 3 });
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(net.params)) tensors[k] = Tensor.from(v.data, v.shape, 'float64');
  const file = path.join(dir, 'f64.safetensors');
  saveSafetensors(file, tensors);
  const err = t.throws(() => net.loadParams(file));
  t.regex(err!.message, /tensor 'W1' is float64 \(F64\) but the network is float32/);
});

test('loading a missing file names it', (t) => {
  const net = new SimpleConvNet({ backend });
  const err = t.throws(() => net.loadParams('/nonexistent/dir/params.safetensors'));
  t.regex(err!.message, /\/nonexistent\/dir\/params\.safetensors/);
});
