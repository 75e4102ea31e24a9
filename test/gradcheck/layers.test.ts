// Numerical gradient checks of every layer and of small stacks, in double precision on the
// reference backend; then the same stacks in float32 on the native backend against the float64
// reference backprop.
//
// Why h = 1e-5 and relative error ≤ 1e-6: the central difference (L(θ+h) − L(θ−h)) / 2h has
// truncation error h²/6·|L'''| ≈ 2e-11 for the O(1) derivatives of these small nets, and rounding
// error ≈ ε·|L|/h ≈ 1e-16·|L|/1e-5 ≈ 1e-11·|L|. With |L| ≲ 10 both stay near 1e-10 absolute, so a
// gradient entry of size ≥ 1e-3 is reproduced to ≲ 1e-7 relative: 1e-6 has a 10× margin, while
// any real backprop bug (a wrong index, a missing term, a transposed weight) gives O(1) errors.
// Entries much smaller than the tensor's largest are compared on the scale of that largest
// (floor = 1e-2·max|g|), because their own relative error measures only the round-off above.
//
// Kinks (ReLU at 0, ties in a max-pool window) are where the numerical derivative is undefined;
// the inputs are seeded so no value lies within h of one (checked by the fixed seeds passing,
// and Relu's own check moves inputs away from 0 explicitly).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Backend } from '../../lib/backend/types';
import { loadNative } from '../../lib/backend/native';
import { referenceBackend } from '../../lib/backend/reference';
import {
  Affine, BatchNormalization, Convolution, Dropout, Flatten, Layer, Pooling, Relu, Sigmoid, SoftmaxWithLoss,
} from '../../lib/layers';
import { Rng } from '../../lib/tensor/rng';
import { Tensor, type DType } from '../../lib/tensor/tensor';

const H = 1e-5;
const REL_TOL = 1e-6;

/** A network to check: layers, then either SoftmaxWithLoss with labels or the probe loss Σ out·R. */
interface Net {
  layers: Layer[];
  loss: SoftmaxWithLoss | null;
  labels: Int32Array | Tensor | null;
  /** Probe weights R: L = Σ out·R, so dL/dout = R (random, so every output entry matters). */
  probe: Float64Array | null;
  train: boolean;
  /** Dropout streams are reset before every forward so each evaluation draws the same mask. */
  dropoutStates: Map<Dropout, { seed: number; counter: number }>;
}

interface Spec {
  name: string;
  inputShape: number[];
  batch: number;
  make: () => Layer[];
  /** Classes for SoftmaxWithLoss; 0 means the probe loss. */
  classes: number;
  oneHot?: boolean;
  train?: boolean;
  /** Keep |x| ≥ this (kinks of ReLU at 0). */
  awayFromZero?: number;
  /** Randomise trainable non-weight params (BatchNormalization's gamma, beta) so they are tested off their 1/0 init. */
  perturbParams?: boolean;
}

function buildNet(spec: Spec, backend: Backend, dtype: DType, seed: number): { net: Net; x: Tensor } {
  const rng = new Rng(seed);
  const ctx = { backend, rng, dtype };
  const layers = spec.make();
  let shape = spec.inputShape;
  layers.forEach((l, i) => {
    l.name = `${l.kind}${i + 1}`;
    shape = l.build(shape, ctx);
  });
  const dataRng = new Rng(seed + 1000);
  for (const l of layers) {
    for (const [k, p] of Object.entries(l.params)) {
      // The book's 0.01 init makes deep-stack gradients tiny; O(0.5) weights exercise every path.
      if (k === 'W') for (let i = 0; i < p.size; i++) p.data[i] = 0.5 * dataRng.normal();
      else if (spec.perturbParams || k === 'b') for (let i = 0; i < p.size; i++) p.data[i] = (k === 'gamma' ? 1 : 0) + 0.3 * dataRng.normal();
    }
    // Inference-mode BatchNormalization reads these; give them trained-looking values.
    if (l.buffers.runningMean) for (let i = 0; i < l.buffers.runningMean.size; i++) l.buffers.runningMean.data[i] = 0.3 * dataRng.normal();
    if (l.buffers.runningVar) for (let i = 0; i < l.buffers.runningVar.size; i++) l.buffers.runningVar.data[i] = 0.5 + dataRng.uniform();
  }
  const x = Tensor.zeros([spec.batch, ...spec.inputShape], dtype);
  for (let i = 0; i < x.size; i++) {
    let v = dataRng.normal();
    if (spec.awayFromZero) v = Math.sign(v || 1) * (spec.awayFromZero + Math.abs(v));
    x.data[i] = v;
  }
  let loss: SoftmaxWithLoss | null = null;
  let labels: Int32Array | Tensor | null = null;
  let probe: Float64Array | null = null;
  if (spec.classes > 0) {
    loss = new SoftmaxWithLoss({ backend });
    const idx = new Int32Array(spec.batch);
    for (let i = 0; i < spec.batch; i++) idx[i] = dataRng.int(spec.classes);
    if (spec.oneHot) {
      // A soft target distribution (the kernel accepts any non-negative rows), not just 0/1.
      const t = Tensor.zeros([spec.batch, spec.classes], dtype);
      for (let i = 0; i < spec.batch; i++) {
        t.data[i * spec.classes + idx[i]] = 0.7;
        t.data[i * spec.classes + ((idx[i] + 1) % spec.classes)] = 0.3;
      }
      labels = t;
    } else {
      labels = idx;
    }
  } else {
    const outSize = spec.batch * shape.reduce((a, b) => a * b, 1);
    probe = new Float64Array(outSize);
    for (let i = 0; i < outSize; i++) probe[i] = dataRng.normal();
  }
  const dropoutStates = new Map<Dropout, { seed: number; counter: number }>();
  for (const l of layers) {
    if (l instanceof Dropout) {
      l.setState({ seed: 12345, counter: 7 });
      dropoutStates.set(l, l.getState());
    }
  }
  return { net: { layers, loss, labels, probe, train: spec.train ?? true, dropoutStates }, x };
}

function forward(net: Net, x: Tensor): { out: Tensor; L: number } {
  for (const [d, s] of net.dropoutStates) d.setState(s);
  let out = x;
  for (const l of net.layers) out = l.forward(out, net.train);
  let L: number;
  if (net.loss) {
    const booked = net.loss.forward(out, net.labels!);
    L = exactCrossEntropy(net.loss.y, net.labels!);
    // The layer's own loss is the book's cross_entropy_error, with log(y + 1e-7).
    const expected = exactCrossEntropy(net.loss.y, net.labels!, 1e-7);
    if (!(Math.abs(booked - expected) <= 1e-12 * (1 + Math.abs(expected)))) {
      throw new Error(`SoftmaxWithLoss returned ${booked}, the book's cross-entropy of its own y is ${expected}`);
    }
  } else {
    L = 0;
    for (let i = 0; i < out.size; i++) L += out.data[i] * net.probe![i];
  }
  return { out, L };
}

/**
 * −(1/n)·Σ t·log(y + delta) from the layer's probabilities. The book adds delta = 1e-7 inside the
 * log, so (y − t)/n is the exact derivative only of the delta-free loss: with delta the numerical
 * derivative differs by ≈ delta/y relative (1e-6 … 1e-5 for y ≈ 0.1 … 0.01), which is a property
 * of the book's loss, not a backprop error. The check therefore differentiates the exact loss of
 * the same y (y itself is still the layer's forward), and forward asserts the returned loss is
 * the book's formula.
 */
function exactCrossEntropy(y: Tensor, labels: Int32Array | Tensor, delta = 0): number {
  const [n, k] = y.shape;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (labels instanceof Int32Array) {
      sum -= Math.log(y.data[i * k + labels[i]] + delta);
    } else {
      for (let j = 0; j < k; j++) {
        const tv = labels.data[i * k + j];
        if (tv !== 0) sum -= tv * Math.log(y.data[i * k + j] + delta);
      }
    }
  }
  return sum / n;
}

/** Analytic gradients: dx and every parameter gradient, copied to float64 (buffers are reused). */
function backprop(net: Net, x: Tensor): Map<string, Float64Array> {
  const { out } = forward(net, x);
  let d: Tensor;
  if (net.loss) {
    d = net.loss.backward(1);
  } else {
    d = Tensor.zeros(out.shape, out.dtype);
    for (let i = 0; i < d.size; i++) d.data[i] = net.probe![i];
  }
  for (let i = net.layers.length - 1; i >= 0; i--) {
    const r = net.layers[i].backward(d);
    if (r) d = r;
  }
  const g = new Map<string, Float64Array>();
  g.set('x', Float64Array.from(d.data));
  for (const l of net.layers) for (const [k, t] of Object.entries(l.grads)) g.set(`${l.name}.${k}`, Float64Array.from(t.data));
  return g;
}

/** Every tensor the check perturbs: the input and each parameter, named like backprop's map. */
function targets(net: Net, x: Tensor): Map<string, Tensor> {
  const m = new Map<string, Tensor>([['x', x]]);
  for (const l of net.layers) for (const [k, t] of Object.entries(l.params)) m.set(`${l.name}.${k}`, t);
  return m;
}

function numericGrad(net: Net, x: Tensor, t: Tensor): Float64Array {
  const g = new Float64Array(t.size);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    t.data[i] = v + H;
    const lp = forward(net, x).L;
    t.data[i] = v - H;
    const lm = forward(net, x).L;
    t.data[i] = v;
    g[i] = (lp - lm) / (2 * H);
  }
  return g;
}

/** Worst relative error (see the header for the floor) and where it is. */
function relError(a: Float64Array, n: Float64Array): { err: number; at: number; scale: number } {
  let scale = 0;
  for (let i = 0; i < n.length; i++) scale = Math.max(scale, Math.abs(n[i]), Math.abs(a[i]));
  // The absolute part (1e-4 · 1e-6 = 1e-10) sits above the ≈1e-11 noise of the central
  // difference, so a gradient that is exactly zero (a bias feeding BatchNormalization) passes
  // when its numerical estimate is only noise.
  const floor = Math.max(1e-2 * scale, 1e-4);
  let err = 0;
  let at = -1;
  for (let i = 0; i < n.length; i++) {
    const e = Math.abs(a[i] - n[i]) / Math.max(Math.abs(a[i]), Math.abs(n[i]), floor);
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at, scale };
}

function gradcheck(t: ExecutionContext, spec: Spec): void {
  const { net, x } = buildNet(spec, referenceBackend, 'float64', 7);
  const analytic = backprop(net, x);
  const tg = targets(net, x);
  t.deepEqual([...analytic.keys()].sort(), [...tg.keys()].sort(), 'every perturbed tensor has an analytic gradient');
  for (const [name, tensor] of tg) {
    const num = numericGrad(net, x, tensor);
    const a = analytic.get(name)!;
    const { err, at, scale } = relError(a, num);
    if (name === 'x' || name.endsWith('.W')) {
      t.true(scale > 1e-4, `${spec.name}: d/d${name} is ≈ 0 (max ${scale}), so the check would be vacuous; change the case`);
    }
    t.true(err <= REL_TOL,
      `${spec.name}: d/d${name} relative error ${err.toExponential(2)} > ${REL_TOL} at index ${at}: analytic ${a[at]}, numerical ${num[at]}`);
  }
}

// --- single layers (probe loss) and small stacks (SoftmaxWithLoss) --------------------------

const LAYER_SPECS: Spec[] = [
  { name: 'Convolution 3×3 stride 1 pad 0', inputShape: [2, 5, 5], batch: 2, classes: 0,
    make: () => [new Convolution({ filters: 3, kernelSize: 3 })] },
  { name: 'Convolution 3×3 stride 2 pad 1', inputShape: [2, 5, 5], batch: 2, classes: 0,
    make: () => [new Convolution({ filters: 2, kernelSize: 3, stride: 2, pad: 1 })] },
  { name: 'Convolution 2×3 stride 1 pad 1 (rectangular)', inputShape: [1, 4, 5], batch: 2, classes: 0,
    make: () => [new Convolution({ filters: 2, kernelSize: [2, 3], pad: 1 })] },
  { name: 'Pooling 2×2 stride 2', inputShape: [2, 4, 4], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 2, stride: 2 })] },
  { name: 'Pooling 3×3 stride 2 pad 1 (overlapping windows)', inputShape: [2, 5, 5], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 3, stride: 2, pad: 1 })] },
  { name: 'Pooling 2×3 stride 1', inputShape: [1, 4, 5], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 2, poolW: 3, stride: 1 })] },
  // Output sizes that floor (the book's and PyTorch's): rows and columns past the last window get no gradient.
  { name: 'Convolution 5×5 stride 2 on 8×10 (floors on both axes)', inputShape: [2, 8, 10], batch: 2, classes: 0,
    make: () => [new Convolution({ filters: 2, kernelSize: 5, stride: 2 })] },
  { name: 'Convolution 3×3 stride 3 pad 1 on 6×8 (floors)', inputShape: [1, 6, 8], batch: 1, classes: 0,
    make: () => [new Convolution({ filters: 2, kernelSize: 3, stride: 3, pad: 1 })] },
  { name: "Convolution 3×3 stride 2 padding 'same' on 7×9", inputShape: [2, 7, 9], batch: 2, classes: 0,
    make: () => [new Convolution({ filters: 2, kernelSize: 3, stride: 2, padding: 'same' })] },
  { name: 'Pooling 2×2 stride 2 on 5×7 (floors)', inputShape: [2, 5, 7], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 2 })] },
  { name: 'Pooling 3×3 stride 2 on 6×8 (overlapping, floors)', inputShape: [2, 6, 8], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 3, stride: 2 })] },
  { name: 'Pooling 2×2 stride 3 on 7×8 (gaps between windows)', inputShape: [1, 7, 8], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 2, stride: 3 })] },
  { name: "Pooling 3×3 stride 1 padding 'same' on 4×5", inputShape: [1, 4, 5], batch: 2, classes: 0,
    make: () => [new Pooling({ poolH: 3, stride: 1, padding: 'same' })] },
  { name: 'Affine on images (flattens)', inputShape: [2, 3, 3], batch: 3, classes: 0,
    make: () => [new Affine({ units: 4 })] },
  { name: 'Affine on vectors', inputShape: [6], batch: 3, classes: 0,
    make: () => [new Affine({ units: 5 })] },
  { name: 'Relu', inputShape: [2, 3, 3], batch: 2, classes: 0, awayFromZero: 0.05,
    make: () => [new Relu()] },
  { name: 'Sigmoid', inputShape: [7], batch: 3, classes: 0,
    make: () => [new Sigmoid()] },
  { name: 'Dropout (train, fixed seed/counter)', inputShape: [12], batch: 3, classes: 0,
    make: () => [new Dropout({ ratio: 0.4 })] },
  { name: 'Dropout (inference)', inputShape: [2, 2, 2], batch: 2, classes: 0, train: false,
    make: () => [new Dropout({ ratio: 0.3 })] },
  { name: 'BatchNormalization (n, d), train', inputShape: [4], batch: 5, classes: 0, perturbParams: true,
    make: () => [new BatchNormalization()] },
  { name: 'BatchNormalization (n, c, h, w) per channel, train', inputShape: [3, 2, 3], batch: 2, classes: 0, perturbParams: true,
    make: () => [new BatchNormalization()] },
  { name: 'BatchNormalization inference', inputShape: [3], batch: 4, classes: 0, perturbParams: true, train: false,
    make: () => [new BatchNormalization()] },
  { name: 'Flatten', inputShape: [2, 2, 3], batch: 2, classes: 0,
    make: () => [new Flatten()] },
  { name: 'SoftmaxWithLoss (class indices)', inputShape: [5], batch: 4, classes: 5,
    make: () => [] },
  { name: 'SoftmaxWithLoss (target distribution)', inputShape: [4], batch: 3, classes: 4, oneHot: true,
    make: () => [] },
];

const STACK_SPECS: Spec[] = [
  { name: 'Conv→Relu→Pool→Affine→SoftmaxWithLoss (SimpleConvNet)', inputShape: [1, 6, 6], batch: 2, classes: 4,
    make: () => [new Convolution({ filters: 3, kernelSize: 3 }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 4 })] },
  { name: 'Conv(pad 1)→BN→Relu→Pool→Affine→Dropout→Affine→SoftmaxWithLoss', inputShape: [2, 4, 4], batch: 3, classes: 3,
    make: () => [
      new Convolution({ filters: 2, kernelSize: 3, pad: 1 }), new BatchNormalization(), new Relu(), new Pooling({ poolH: 2 }),
      new Affine({ units: 5 }), new Dropout({ ratio: 0.3 }), new Affine({ units: 3 }),
    ] },
  // Batch 6, not 3: BatchNormalization over 3 samples can meet a feature whose values nearly
  // coincide, where float32 loses most digits of x − μ and the native comparison measures only that.
  { name: 'Conv stride 2→Sigmoid→Flatten→BN→Affine→SoftmaxWithLoss', inputShape: [1, 5, 5], batch: 6, classes: 3,
    make: () => [
      new Convolution({ filters: 2, kernelSize: 3, stride: 2, pad: 1 }), new Sigmoid(), new Flatten(),
      new BatchNormalization(), new Affine({ units: 3 }),
    ] },
  { name: 'Conv 5×5 stride 2 on 12×10 (floors)→Relu→Pool 2×2 (floors on the width)→Affine→SoftmaxWithLoss', inputShape: [1, 12, 10], batch: 2, classes: 3,
    make: () => [new Convolution({ filters: 3, kernelSize: 5, stride: 2 }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 3 })] },
  { name: 'Affine→Relu→Affine→SoftmaxWithLoss (TwoLayerNet)', inputShape: [6], batch: 4, classes: 3,
    make: () => [new Affine({ units: 5 }), new Relu(), new Affine({ units: 3 })] },
];

for (const spec of [...LAYER_SPECS, ...STACK_SPECS]) {
  test(`gradcheck float64 [reference]: ${spec.name}`, (t) => gradcheck(t, spec));
}

test('gradcheck: needInputGrad = false returns null and still fills the parameter gradients', (t) => {
  const spec = STACK_SPECS[0];
  const a = buildNet(spec, referenceBackend, 'float64', 3);
  const b = buildNet(spec, referenceBackend, 'float64', 3);
  b.net.layers[0].needInputGrad = false;
  const ga = backprop(a.net, a.x);
  forward(b.net, b.x);
  let d: Tensor | null = b.net.loss!.backward();
  for (let i = b.net.layers.length - 1; i >= 0; i--) d = b.net.layers[i].backward(d!);
  t.is(d, null);
  t.deepEqual(Float64Array.from(b.net.layers[0].grads.W.data), ga.get(`${a.net.layers[0].name}.W`));
  t.deepEqual(Float64Array.from(b.net.layers[0].grads.b.data), ga.get(`${a.net.layers[0].name}.b`));
});

// --- float32 native backprop vs float64 reference backprop ------------------------------------

// The native float32 gradients are compared with the reference computed in double from the same
// float32-rounded inputs. float32 has ε = 6e-8; each entry here is a chain of ≤ 8 layers whose
// sums have ≤ ~100 terms (GEMM, col2im, batch-norm reductions) plus exp/log/sqrt in a few ulps,
// so the error is ≲ 100·8·6e-8 ≈ 5e-5 of the magnitudes involved. The bound is relative to the
// tensor's largest entry (|a − b| ≤ 2e-4·max|b|): tiny entries carry only cancellation noise,
// while a wrong index or term moves some entry by O(max|b|).
const NATIVE_TOL = 2e-4;

const native = loadNative();
for (const spec of STACK_SPECS) {
  const title = `float32 [native] backprop matches float64 [reference]: ${spec.name}`;
  if (!native.backend) {
    test.skip(`${title} — SKIPPED, native backend not loaded: ${native.error?.split('\n')[0]}`, () => undefined);
    continue;
  }
  const nb = native.backend;
  test(title, (t) => {
    const ref = buildNet(spec, referenceBackend, 'float64', 11);
    const nat = buildNet(spec, nb, 'float32', 11);
    // Same values on both sides: the float64 copies are the float32-rounded numbers.
    const refT = targets(ref.net, ref.x);
    const natT = targets(nat.net, nat.x);
    for (const [name, r] of refT) {
      const n = natT.get(name)!;
      for (let i = 0; i < r.size; i++) r.data[i] = n.data[i] = Math.fround(r.data[i]);
    }
    if (ref.net.labels instanceof Tensor) ref.net.labels.data.forEach((v, i) => { (nat.net.labels as Tensor).data[i] = v; });
    const gr = backprop(ref.net, ref.x);
    const gn = backprop(nat.net, nat.x);
    const lr = forward(ref.net, ref.x).L;
    const ln = forward(nat.net, nat.x).L;
    t.true(Math.abs(lr - ln) <= NATIVE_TOL * (1 + Math.abs(lr)), `${spec.name}: loss native ${ln} vs reference ${lr}`);
    let netScale = 0;
    for (const b of gr.values()) for (let i = 0; i < b.length; i++) netScale = Math.max(netScale, Math.abs(b[i]));
    t.true(netScale > 1e-3, `${spec.name}: gradients are ≈ 0 (max ${netScale}); the comparison would be vacuous`);
    for (const [name, b] of gr) {
      const a = gn.get(name)!;
      let tensorScale = 0;
      for (let i = 0; i < b.length; i++) tensorScale = Math.max(tensorScale, Math.abs(b[i]));
      // A tensor whose exact gradient is (near) zero — a bias feeding BatchNormalization — holds
      // float32 cancellation noise of the size of the net's other gradients, hence the floor.
      const scale = Math.max(tensorScale, 1e-2 * netScale);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < b.length; i++) {
        const d = Math.abs(a[i] - b[i]);
        if (!(d <= worst)) {
          worst = d;
          at = i;
        }
      }
      t.true(worst <= NATIVE_TOL * scale,
        `${spec.name}: d/d${name}: native ${a[at]} vs reference ${b[at]} at ${at} (|diff| ${worst.toExponential(2)} > ${NATIVE_TOL}·${scale.toExponential(2)})`);
    }
  });
}
