// Sequential runs each Convolution → Relu → Pooling as one kernel. Fused and unfused execution of
// the same network must give the same loss and gradients, on both backends, and the fused path
// must pass the float64 gradient check with padding and two blocks in a row.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { Affine, Convolution, Pooling, Relu, type Layer } from '../../lib/layers';
import { LeNet5, Sequential, gradientCheck } from '../../lib/networks';
import { Rng } from '../../lib/tensor/rng';
import { Tensor, type DType } from '../../lib/tensor/tensor';
import { eachBackend, nativeBackend } from '../helpers/backends';
import { ConvChain, planInference } from '../../lib/networks/conv-chain';
import { assertClose, assertEqualArrays } from '../helpers/compare';
import { GEMM_TOL } from '../helpers/tolerance';
import type { Backend } from '../../lib/backend/types';

function network(inputShape: number[], layers: Layer[], backend: Backend, fuse: boolean, dtype: DType, seed: number): Sequential {
  return new Sequential({ inputShape, backend, dtype, seed, fuse, layers });
}

/** Two blocks (the first padded, the second with an overlapping stride-1 pool), then Affine. */
function twoBlocks(backend: Backend, fuse: boolean, dtype: DType = 'float32'): Sequential {
  return network([2, 10, 10], [
    new Convolution({ filters: 4, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }),
    new Convolution({ filters: 5, kernelSize: [2, 3], weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2, stride: 1 }),
    new Affine({ units: 3, weightInit: 'he' }),
  ], backend, fuse, dtype, 4);
}

function input(n: number, dtype: DType, seed: number, sample = [2, 10, 10]): Tensor {
  const rng = new Rng(seed);
  const x = Tensor.zeros([n, ...sample], dtype);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform() - 0.3;
  return x;
}

eachBackend('fused and unfused execution give the same loss and gradients', (t, b) => {
  const fused = twoBlocks(b, true);
  const plain = twoBlocks(b, false);
  t.deepEqual(fused.fusedBlocks(), ['Conv1 → Relu1 → Pool1', 'Conv2 → Relu2 → Pool2']);
  t.deepEqual(plain.fusedBlocks(), []);
  const x = input(5, 'float32', 9);
  const labels = Int32Array.from([0, 2, 1, 1, 0]);
  const gf = fused.gradient(x, labels);
  const gp = plain.gradient(x, labels);
  t.is(fused.lastLoss, plain.lastLoss, 'the forward values are identical, so the loss is too');
  assertEqualArrays(t, 'predict', fused.predict(x).data, plain.predict(x).data);
  for (const k of Object.keys(gp)) assertClose(t, k, gf[k].data, gp[k].data, GEMM_TOL);
});

test('the fused path passes the float64 gradient check (padding, two blocks, overlapping pool)', (t) => {
  const net = twoBlocks(referenceBackend, true, 'float64');
  const result = gradientCheck(net, input(3, 'float64', 10), Int32Array.from([2, 0, 1]), 1e-5);
  for (const [name, r] of Object.entries(result)) {
    t.true(r.relative <= 1e-5, `${name}: relative ${r.relative.toExponential(2)}`);
  }
  t.is(Object.keys(result).length, 6);
});

test('fuse is an option of Sequential and the presets, switchable, and shown by summary()', (t) => {
  const net = new LeNet5({ seed: 1 });
  t.true(net.fuse);
  t.regex(net.summary(), /Fused: Conv1 → Relu1 → Pool1 run as one kernel/);
  net.fuse = false;
  t.deepEqual(net.fusedBlocks(), []);
  t.notRegex(net.summary(), /Fused:/);
  t.deepEqual(new LeNet5({ seed: 1, fuse: false }).fusedBlocks(), []);
  const e = t.throws(() => new Sequential({ inputShape: [1, 4, 4], fuse: 'yes' as unknown as boolean }));
  t.regex(e!.message, /fuse must be true or false/);
  t.throws(() => { net.fuse = 1 as unknown as boolean; }, { message: /fuse must be true or false/ });
});

/** Output sizes that floor: conv 5×5 stride 2 on 14×15 (→ 5×6, height floors), pool 2×2 (→ 2×3, height floors), then a 'same' Convolution → Relu pair. */
function floorBlocks(backend: Backend, fuse: boolean, dtype: DType = 'float32'): Sequential {
  return network([2, 14, 15], [
    new Convolution({ filters: 4, kernelSize: 5, stride: 2, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }),
    new Convolution({ filters: 3, kernelSize: 3, padding: 'same', weightInit: 'he' }), new Relu(),
    new Affine({ units: 3, weightInit: 'he' }),
  ], backend, fuse, dtype, 5);
}

const floorInput = (n: number, dtype: DType, seed: number) => input(n, dtype, seed, [2, 14, 15]);

eachBackend('floor geometries and padding \'same\': the fused blocks run them and equal unfused execution', (t, b) => {
  const fused = floorBlocks(b, true);
  const plain = floorBlocks(b, false);
  t.deepEqual(fused.fusedBlocks(), ['Conv1 → Relu1 → Pool1', 'Conv2 → Relu2']);
  t.deepEqual(fused.layers.map((l) => l.outputShape), [[4, 5, 6], [4, 5, 6], [4, 2, 3], [3, 2, 3], [3, 2, 3], [3]]);
  const x = floorInput(4, 'float32', 11);
  const labels = Int32Array.from([0, 2, 1, 1]);
  const gf = fused.gradient(x, labels);
  const gp = plain.gradient(x, labels);
  t.true(Math.abs(fused.lastLoss - plain.lastLoss) <= 1e-6 * (1 + Math.abs(plain.lastLoss)), `loss ${fused.lastLoss} vs ${plain.lastLoss}`);
  assertClose(t, 'predict', fused.predict(x).data, plain.predict(x).data, GEMM_TOL);
  for (const k of Object.keys(gp)) assertClose(t, k, gf[k].data, gp[k].data, GEMM_TOL);
});

test('the fused path on floor geometries passes the float64 gradient check', (t) => {
  const net = floorBlocks(referenceBackend, true, 'float64');
  const result = gradientCheck(net, floorInput(3, 'float64', 12), Int32Array.from([2, 0, 1]), 1e-5);
  for (const [name, r] of Object.entries(result)) {
    t.true(r.relative <= 1e-5, `${name}: relative ${r.relative.toExponential(2)}`);
  }
  t.is(Object.keys(result).length, 6);
});

eachBackend('inference runs consecutive fused blocks as one chain on native, with the same scores as the blocks one by one; training and a block\'s backward are unchanged', (t, b) => {
  // DeepConvNet's shape of run: Conv → Relu, Conv → Relu → Pool, twice, then the classifier.
  const net = network([1, 12, 12], [
    new Convolution({ filters: 16, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu(),
    new Convolution({ filters: 16, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }),
    new Convolution({ filters: 5, kernelSize: 3, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }),
    new Affine({ units: 4, weightInit: 'he' }),
  ], b, true, 'float32', 8);
  const x = input(7, 'float32', 12, [1, 12, 12]);
  const steps = net.executionSteps();
  let out = x;
  for (const s of steps) out = s.forward(out, false);
  const oneByOne = Float32Array.from(out.data);
  const scores = net.predict(x);
  // The chain computes each block's per-image kernel, so the bits do not change.
  assertEqualArrays(t, 'scores', scores.data, oneByOne, `${b.name}: predict against the steps one by one`);
  t.throws(() => steps[0].backward(Tensor.zeros([7, 16, 12, 12])), { message: /backward after an inference forward/ });
  // Training runs block by block and keeps what the backward needs.
  const labels = Int32Array.from([0, 1, 2, 3, 0, 1, 2]);
  const grads = net.gradient(x, labels);
  t.true(Number.isFinite(net.lastLoss));
  t.true(Array.from(grads.W1.data).some((v) => v !== 0), 'the first layer received a gradient');
  // And inference after training again equals the steps one by one.
  const again = net.predict(x);
  assertEqualArrays(t, 'scores', again.data, oneByOne, `${b.name}: predict after gradient`);
});

eachBackend('a run of more fused blocks than one chain call takes (18 Conv → Relu pairs) is chained in pieces, with the same scores', (t, b) => {
  const layers: Layer[] = [];
  for (let i = 0; i < 18; i++) layers.push(new Convolution({ filters: 2, kernelSize: 3, pad: 1, weightInit: 'he' }), new Relu());
  const net = network([1, 6, 6], [...layers, new Affine({ units: 3, weightInit: 'he' })], b, true, 'float32', 3);
  const x = input(2, 'float32', 5, [1, 6, 6]);
  let out = x;
  for (const s of net.executionSteps()) out = s.forward(out, false);
  assertEqualArrays(t, 'scores', net.predict(x).data, out.data, `${b.name}: 18 blocks`);
});

test('planInference chains runs of two or more fused blocks on native only, and not on an addon without convChainForward', (t) => {
  const layers = () => [
    new Convolution({ filters: 2, kernelSize: 3, pad: 1 }), new Relu(),
    new Convolution({ filters: 2, kernelSize: 3, pad: 1 }), new Relu(), new Pooling({ poolH: 2 }),
    new Affine({ units: 3 }),
  ];
  const count = (steps: ReadonlyArray<unknown>) => steps.filter((s) => s instanceof ConvChain).length;
  const ref = network([1, 6, 6], layers(), referenceBackend, true, 'float32', 1);
  t.is(count(planInference(ref.executionSteps(), referenceBackend)), 0, 'the reference runs the blocks one by one');
  if (!nativeBackend) {
    t.pass('native backend not loaded');
    return;
  }
  const net = network([1, 6, 6], layers(), nativeBackend, true, 'float32', 1);
  const steps = planInference(net.executionSteps(), nativeBackend);
  t.is(count(steps), 1);
  t.is(steps.length, 2, 'one chain of the two blocks, then the Affine');
  const older = { ...nativeBackend, convChainForward: undefined } as unknown as Backend;
  t.is(count(planInference(net.executionSteps(), older)), 0, 'an addon built before the chain runs the blocks one by one');
});
