// Random layer stacks of the kinds the book and PyTorch build, run through scratchnet and through
// PyTorch (scripts/torch-parity.py) with the same weights and inputs: the loss and every parameter
// gradient must agree within float32 tolerance. Used by scripts/torch-parity.ts (the 200-stack
// run) and test/networks/torch-parity.test.ts (a few stacks when torch is installed).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../../lib/backend/native';
import type { Backend } from '../../lib/backend/types';
import { Dropout, type LayerConfig } from '../../lib/layers';
import { Sequential } from '../../lib/networks/sequential';
import { Rng } from '../../lib/tensor/rng';
import { ShapeError } from '../../lib/tensor/shape';
import { Tensor } from '../../lib/tensor/tensor';

export const PARITY_SCRIPT = path.join(packageRoot, 'scripts', 'torch-parity.py');

/** One stack: the model, its weights, one batch and its labels. */
export interface ParityStack {
  id: number;
  inputShape: number[];
  layers: LayerConfig[];
  /** Per layer index, its parameters by the layer's own names (W, b, gamma, beta), row-major. */
  params: Array<Record<string, number[]>>;
  /** Per layer index, the output shape scratchnet inferred (PyTorch's must be the same). */
  outputShapes: number[][];
  /** Per layer index, the pad scratchnet resolved (for padding: 'same'). */
  pads: Array<number | null>;
  x: number[];
  batch: number;
  labels: number[];
}

/** What one backend computed: the loss and every parameter gradient, by layer index and name. */
export interface ParityResult {
  loss: number;
  grads: Array<Record<string, number[]>>;
}

const int = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);

/**
 * A random stack: 1–3 Convolutions (kernel 1–7, stride 1–3, pad 0–2 or padding 'same' / 'valid',
 * non-square inputs), each followed at random by Relu or Sigmoid, BatchNormalization and max
 * Pooling (window 1–3, stride 1–3: overlapping, tiling or gapped; pad at most half the window,
 * as PyTorch requires), then Dropout, Affine layers with Relu / Sigmoid / BatchNormalization /
 * Dropout between them, and SoftmaxWithLoss. Redrawn until scratchnet builds it.
 */
export function randomStackConfig(rng: Rng): { inputShape: number[]; layers: LayerConfig[] } {
  for (;;) {
    const inputShape = [int(rng, 1, 3), int(rng, 5, 24), int(rng, 5, 24)];
    const layers: LayerConfig[] = [];
    const convs = int(rng, 1, 3);
    for (let i = 0; i < convs; i++) {
      const k = rng.uniform() < 0.25 ? [int(rng, 1, 7), int(rng, 1, 7)] : int(rng, 1, 7);
      const conv: LayerConfig = { type: 'Convolution', filters: int(rng, 1, 8), kernelSize: k, stride: int(rng, 1, 3), weightInit: 'he' };
      const pick = rng.uniform();
      if (pick < 0.12) conv.padding = 'same';
      else if (pick < 0.2) conv.padding = 'valid';
      else conv.pad = int(rng, 0, 2);
      layers.push(conv);
      const act = rng.uniform();
      if (rng.uniform() < 0.2) layers.push({ type: 'BatchNormalization' });
      if (act < 0.6) layers.push({ type: 'Relu' });
      else if (act < 0.8) layers.push({ type: 'Sigmoid' });
      if (rng.uniform() < 0.5) {
        const ph = int(rng, 1, 3);
        const pw = rng.uniform() < 0.3 ? int(rng, 1, 3) : ph;
        const pool: LayerConfig = { type: 'Pooling', poolH: ph, poolW: pw, stride: int(rng, 1, 3) };
        const maxPad = Math.floor(Math.min(ph, pw) / 2);
        if (maxPad > 0 && rng.uniform() < 0.3) pool.pad = int(rng, 1, maxPad);
        layers.push(pool);
      }
    }
    if (rng.uniform() < 0.3) layers.push({ type: 'Dropout', ratio: Math.round(rng.uniform() * 50) / 100 });
    const hidden = int(rng, 0, 2);
    for (let i = 0; i < hidden; i++) {
      layers.push({ type: 'Affine', units: int(rng, 3, 20), weightInit: 'he' });
      if (rng.uniform() < 0.3) layers.push({ type: 'BatchNormalization' });
      layers.push({ type: rng.uniform() < 0.75 ? 'Relu' : 'Sigmoid' });
      if (rng.uniform() < 0.25) layers.push({ type: 'Dropout', ratio: Math.round(rng.uniform() * 50) / 100 });
    }
    layers.push({ type: 'Affine', units: int(rng, 2, 10), weightInit: 'he' });
    try {
      Sequential.fromConfig({ inputShape, layers }, { backend: 'reference' });
    } catch (e) {
      if (e instanceof ShapeError) continue; // a layer that does not fit this input: draw again
      throw e;
    }
    return { inputShape, layers };
  }
}

/** A stack with weights (He-initialised, then biases, γ and β drawn too, so none sits at a symmetric value), a batch and labels. */
export function randomStack(rng: Rng, id: number): ParityStack {
  const { inputShape, layers } = randomStackConfig(rng);
  const net = Sequential.fromConfig({ inputShape, layers }, { backend: 'reference', seed: rng.int(1 << 30) });
  const params = net.layers.map((l) => {
    const out: Record<string, number[]> = {};
    for (const [k, t] of Object.entries(l.params)) {
      if (k === 'b' || k === 'beta') for (let i = 0; i < t.size; i++) t.data[i] = 0.3 * rng.normal();
      if (k === 'gamma') for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + rng.uniform();
      out[k] = Array.from(t.data);
    }
    return out;
  });
  // With batch norm, 3 or more samples: PyTorch refuses one value per channel, and over two
  // samples the normalised output is ±1 whatever the input, so every gradient before it is 0 and
  // both sides return only rounding noise. Batch 1 is covered by the kernel tests.
  const batch = layers.some((l) => l.type === 'BatchNormalization') ? int(rng, 3, 4) : int(rng, 1, 4);
  const size = batch * inputShape.reduce((a, b) => a * b, 1);
  const x = Array.from(Float32Array.from({ length: size }, () => rng.normal()));
  const classes = net.outputShape[0];
  return {
    id, inputShape, layers, params, batch, x,
    outputShapes: net.layers.map((l) => l.outputShape),
    pads: net.layers.map((l) => ('pad' in l && typeof (l as { pad?: unknown }).pad === 'number' ? (l as unknown as { pad: number }).pad : null)),
    labels: Array.from({ length: batch }, () => rng.int(classes)),
  };
}

/**
 * Loss and gradients of one stack on a backend: a training forward (batch statistics in
 * BatchNormalization) with every Dropout in inference mode (the book's: x·(1 − ratio)), through
 * the network's own execution steps (so the fused blocks run when `fuse` is on), then backward.
 */
export function runStack(stack: ParityStack, backend: Backend | 'native' | 'reference', fuse: boolean): ParityResult {
  const net = Sequential.fromConfig({ inputShape: stack.inputShape, layers: stack.layers }, { backend, fuse });
  net.layers.forEach((l, i) => {
    for (const [k, t] of Object.entries(l.params)) t.data.set(stack.params[i][k]);
  });
  for (const l of net.layers) l.needInputGrad = l !== net.layers[0];
  const x = Tensor.from(Float32Array.from(stack.x), [stack.batch, ...stack.inputShape]);
  const steps = net.executionSteps();
  let y = x;
  for (const s of steps) y = s.forward(y, !(s instanceof Dropout));
  const loss = net.lastLayer.forward(y, Int32Array.from(stack.labels));
  let dout: Tensor | null = net.lastLayer.backward(1);
  for (let i = steps.length - 1; i >= 0; i--) dout = steps[i].backward(dout!);
  return {
    loss,
    grads: net.layers.map((l) => Object.fromEntries(Object.entries(l.grads).map(([k, t]) => [k, Array.from(t.data)]))),
  };
}

/** PyTorch's answers for every stack (float64, the same weights and inputs), from scripts/torch-parity.py. */
export interface TorchAnswer {
  id: number;
  loss: number;
  grads: Array<Record<string, number[]>>;
  /** Max-pooling windows whose maximum occurs more than once (any value). */
  tieWindows: number;
  /** Of those, windows whose tied maximum is not 0 (a tie at 0 after Relu sends no gradient either way). */
  tieWindowsNonzero: number;
  /** Pre-activations within float32 rounding of a Relu kink (|v| < 1e-6·scale), where the two sides may choose differently. */
  kinkValues: number;
  /** The same stack in float32 PyTorch: its distance from float64 measures the stack's conditioning. */
  loss32: number;
  grads32: Array<Record<string, number[]>>;
}

export function runTorch(python: string, stacks: ParityStack[]): { torch: string; answers: TorchAnswer[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scratchnet-parity-'));
  try {
    const file = path.join(dir, 'stacks.json');
    fs.writeFileSync(file, JSON.stringify(stacks));
    const r = spawnSync(python, [PARITY_SCRIPT, file], {
      encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 30,
    });
    if (r.status !== 0) {
      throw new Error(`${python} ${PARITY_SCRIPT} failed${r.error ? `: ${r.error.message}` : ` with exit ${r.status}`}: ${r.stderr.trim()}`);
    }
    return JSON.parse(r.stdout) as { torch: string; answers: TorchAnswer[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** How far one backend's answer is from PyTorch's. */
export interface ParityError {
  /** |loss − torch loss| / max(|torch loss|, 1). */
  loss: number;
  /**
   * Over every parameter gradient tensor: max |g − torch g| / scale, where scale is the tensor's
   * largest |torch g|, or 1e-3 of the whole network's when that is larger.
   */
  grad: number;
  /** The parameter (layer index and name) where grad is largest. */
  worst: string;
  /** Biases right before a BatchNormalization (exact gradient 0): largest |g| over the network's largest gradient. */
  zeroGradNoise: number;
  /**
   * Gradient tensors beyond PARITY_TOL of their scale but within 10× PyTorch's own float32 error
   * (ill-conditioned: the float64 gradient is ~0 and float32 leaves rounding noise).
   */
  conditioned: string[];
  /** Tensors (or 'loss') beyond both: disagreements. */
  beyond: string[];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < b.length; j++) {
    const d = Math.abs(a[j] - b[j]);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

export function compare(result: ParityResult, answer: TorchAnswer, stack: ParityStack): ParityError {
  const loss = Math.abs(result.loss - answer.loss) / Math.max(Math.abs(answer.loss), 1);
  const loss32 = Math.abs(answer.loss32 - answer.loss) / Math.max(Math.abs(answer.loss), 1);
  const out: ParityError = { loss, grad: 0, worst: '', zeroGradNoise: 0, conditioned: [], beyond: [] };
  if (!(loss <= PARITY_TOL || loss <= 10 * loss32)) out.beyond.push('loss');
  let netScale = 0;
  for (const g of answer.grads) for (const b of Object.values(g)) for (const v of b) netScale = Math.max(netScale, Math.abs(v));
  result.grads.forEach((g, i) => {
    for (const [k, a] of Object.entries(g)) {
      const b = answer.grads[i][k];
      let tensorScale = 0;
      for (let j = 0; j < b.length; j++) tensorScale = Math.max(tensorScale, Math.abs(b[j]));
      // A tensor whose exact gradient is ~0 (a bias feeding BatchNormalization) holds float32
      // noise of the network's gradient scale: it is compared on 1e-3 of that scale.
      const scale = Math.max(tensorScale, 1e-3 * netScale, 1e-12);
      const d = maxDiff(a, b);
      const e = d / scale;
      const where = `layers[${i}] ${stack.layers[i].type}.${k}`;
      if (k === 'b' && stack.layers[i + 1]?.type === 'BatchNormalization') {
        // Batch normalisation subtracts the batch mean, so a bias right before it has an exact
        // gradient of 0 and both sides return rounding noise, a sum of many terms cancelling:
        // bounded by ZERO_GRAD_TOL of the network's largest gradient.
        out.zeroGradNoise = Math.max(out.zeroGradNoise, d / Math.max(netScale, 1e-12));
        if (d > ZERO_GRAD_TOL * netScale) {
          if (d <= 10 * maxDiff(answer.grads32[i][k], b)) out.conditioned.push(`${where} (exact gradient 0)`);
          else out.beyond.push(`${where} (exact gradient 0)`);
        }
        continue;
      }
      if (e > out.grad || out.worst === '') {
        out.grad = Math.max(out.grad, e);
        out.worst = where;
      }
      if (e <= PARITY_TOL) continue;
      if (d <= 10 * maxDiff(answer.grads32[i][k], b)) out.conditioned.push(where);
      else out.beyond.push(where);
    }
  });
  return out;
}

/**
 * float32 tolerance: scratchnet computes in float32, PyTorch here in float64. A few hundred
 * rounded terms per sum give relative errors around 1e-6; batch normalisation over a batch of 1–4
 * divides by small standard deviations and amplifies them. 1e-3 of the gradient's scale leaves
 * room for that and still catches a wrong index or a missing term (errors of order 1).
 */
export const PARITY_TOL = 1e-3;

/**
 * A gradient that is exactly 0 (a bias before batch normalisation) comes out of float32 as the
 * rounding of a cancelling sum of up to ~1000 terms: ≲ 1000 · 6e-8 of their size. Bounded by
 * 1e-4 of the network's largest gradient.
 */
export const ZERO_GRAD_TOL = 1e-4;
