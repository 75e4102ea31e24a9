// Buffers are sized once per batch size and reused: a training step allocates no typed arrays.
import test from 'ava';
import {
  Affine, BatchNormalization, Convolution, Dropout, Flatten, Pooling, Relu, Sigmoid, SoftmaxWithLoss, type Layer,
} from '../../lib/layers';
import { Tensor } from '../../lib/tensor/tensor';
import { randTensor, refCtx } from './helpers';

function net(): Layer[] {
  const layers = [
    new Convolution({ filters: 3, kernelSize: 3, pad: 1 }), new BatchNormalization(), new Relu(), new Pooling(),
    new Flatten(), new Affine({ units: 6 }), new Sigmoid(), new Dropout(), new Affine({ units: 4 }),
  ];
  const ctx = refCtx(5);
  let s = [2, 6, 6];
  for (const l of layers) s = l.build(s, ctx);
  layers[0].needInputGrad = false;
  return layers;
}

function step(layers: Layer[], loss: SoftmaxWithLoss, x: Tensor, t: Int32Array, train = true): { outs: Tensor[]; dxs: (Tensor | null)[] } {
  const outs: Tensor[] = [];
  let o = x;
  for (const l of layers) outs.push((o = l.forward(o, train)));
  loss.forward(o, t);
  let d: Tensor | null = loss.backward();
  const dxs: (Tensor | null)[] = [];
  for (let i = layers.length - 1; i >= 0; i--) dxs.unshift((d = layers[i].backward(d!)));
  return { outs, dxs };
}

test('forward/backward twice with the same batch size return the same buffer objects', (t) => {
  const layers = net();
  const loss = new SoftmaxWithLoss({ backend: refCtx().backend });
  const labels = new Int32Array([0, 1, 2, 3, 0]);
  const a = step(layers, loss, randTensor([5, 2, 6, 6], 1), labels);
  const yA = loss.y;
  const b = step(layers, loss, randTensor([5, 2, 6, 6], 2), labels);
  a.outs.forEach((o, i) => t.is(b.outs[i], o, `${layers[i].kind} output`));
  a.dxs.forEach((d, i) => t.is(b.dxs[i], d, `${layers[i].kind} dx`));
  t.is(a.dxs[0], null, 'first layer skips dx');
  t.is(loss.y, yA);
});

test('training and evaluation batch sizes each keep their own buffers', (t) => {
  const layers = net();
  const loss = new SoftmaxWithLoss({ backend: refCtx().backend });
  const train1 = step(layers, loss, randTensor([4, 2, 6, 6], 1), new Int32Array([0, 1, 2, 3]));
  let o = randTensor([9, 2, 6, 6], 3);
  const evalOuts = layers.map((l) => (o = l.forward(o, false)));
  const train2 = step(layers, loss, randTensor([4, 2, 6, 6], 4), new Int32Array([3, 2, 1, 0]));
  evalOuts.forEach((e, i) => {
    t.deepEqual(e.shape[0], 9);
    if (layers[i].kind !== 'Flatten') t.not(e.data, train1.outs[i].data, `${layers[i].kind}: eval batch has its own buffer`);
    t.is(train2.outs[i], train1.outs[i], `${layers[i].kind}: training buffer survives an eval pass`);
  });
});

test('a training step allocates no typed arrays once the batch size has been seen', (t) => {
  const layers = net();
  const loss = new SoftmaxWithLoss({ backend: refCtx().backend });
  const x = randTensor([5, 2, 6, 6], 1);
  const labels = new Int32Array([0, 1, 2, 3, 0]);
  step(layers, loss, x, labels);
  let o: Tensor = x;
  for (const l of layers) o = l.forward(o, false);
  step(layers, loss, x, labels);
  // Count typed arrays constructed from scratchnet's layer code (the kernels may use scratch of
  // their own; this checks the layers' buffer policy).
  const g = globalThis as unknown as Record<string, unknown>;
  const saved: Record<string, unknown> = {};
  const allocations: string[] = [];
  for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array']) {
    const C = g[name] as new (...a: unknown[]) => unknown;
    saved[name] = C;
    g[name] = new Proxy(C, {
      construct(target, args, newTarget) {
        const where = new Error().stack ?? '';
        if (/[\\/]lib[\\/]layers[\\/]/.test(where)) allocations.push(`${name} ${where.split('\n')[2]?.trim()}`);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  try {
    for (let i = 0; i < 3; i++) {
      step(layers, loss, x, labels);
      let e: Tensor = x;
      for (const l of layers) e = l.forward(e, false);
    }
  } finally {
    Object.assign(g, saved);
  }
  t.deepEqual(allocations, []);
});

test('the per-batch-size cache is bounded (least recently used size dropped)', (t) => {
  const r = new Relu();
  r.build([3], refCtx());
  const first = r.forward(randTensor([1, 3]));
  for (const n of [2, 3, 4, 5]) r.forward(randTensor([n, 3]));
  t.not(r.forward(randTensor([1, 3])), first, 'size 1 was evicted and reallocated');
  const five = r.forward(randTensor([5, 3]));
  t.is(r.forward(randTensor([5, 3])), five);
});
