// The book's gradient check (ch. 5, gradient_check.py): backprop against central differences of
// the loss, parameter by parameter. What the book leaves to the reader is why a correct backprop
// can still disagree — a step of h that crosses a ReLU or max-pooling kink averages two slopes —
// so the check also counts those crossings and says what error a correct backprop shows, and a
// report reads "agrees", "differs" (kinks crossed) or "DISAGREES" instead of a bare number.
import { checkNumber } from '../check';
import { thousands, plural } from '../format';
import type { Pooling } from '../layers/pooling';
import { Tensor } from '../tensor/tensor';
import { asInput } from './inputs';
import { labelAt, type LabelsLike } from './labels';
import type { Sequential } from './sequential';
import { snapshotState } from './snapshot';

/** Per-parameter agreement between backprop and numerical gradients. */
export interface GradientCheckEntry {
  shape: number[];
  /** max_i |backprop_i − numerical_i| */
  maxAbs: number;
  /** maxAbs / max_i max(|backprop_i|, |numerical_i|): scale-free, and not blown up by single tiny entries. */
  relative: number;
  /**
   * ReLU and max-pooling inputs after this parameter's layer that lie within h of a kink (a ReLU
   * input in [−h, h], a pooling window whose two largest inputs differ by at most h): there the
   * central difference straddles the kink and averages two slopes, so `relative` can be anything
   * up to 1 however right backprop is. 0 means the check is meaningful.
   */
  kinkHits: number;
  /**
   * The relative error a correct backprop shows here when no kink is hit. float64: the book's
   * loss takes log(p + 1e-7), whose exact derivative differs from SoftmaxWithLoss's (y − t) by
   * 1e-7/p relative (p: the smallest probability of a true class in the batch), plus ≈ 1e-9 of
   * differencing; float32 (h = 1e-2): its rounding, ≈ 1e-2.
   */
  expectedRelative: number;
  /** One sentence: the result, and when kinks were hit, how many and how to avoid them. */
  message: string;
}

/** Inputs of one ReLU or max-pooling layer near a kink, from kinkHits. */
export interface KinkReport {
  /** The layer's name in the network (Relu1, Pool2), its kind and its position in layers. */
  layer: string;
  kind: 'Relu' | 'Pooling';
  index: number;
  /** ReLU inputs in [−h, h], or pooling windows whose two largest inputs differ by ≤ h; and how many were looked at. */
  hits: number;
  total: number;
}

/**
 * Sequential.numericalGradient: central differences of net.loss(x, t, train = true) for every
 * parameter, dropout masks held fixed and batch-norm running averages restored afterwards.
 */
export function centralDifferences(net: Sequential, x: Tensor, t: LabelsLike, h: number): Record<string, Tensor> {
  const restore = snapshotState(net.layers);
  const out: Record<string, Tensor> = {};
  try {
    for (const [name, p] of Object.entries(net.params)) {
      const g = Tensor.zeros(p.shape, net.dtype);
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        const tmp = d[i];
        d[i] = tmp + h;
        restore.dropout();
        const f1 = net.loss(x, t, true);
        d[i] = tmp - h;
        restore.dropout();
        const f2 = net.loss(x, t, true);
        d[i] = tmp;
        g.data[i] = (f1 - f2) / (2 * h);
      }
      out[name] = g;
    }
  } finally {
    restore.all();
  }
  return out;
}

/** Sequential.kinkHits: per ReLU and max pooling, its inputs within h of a kink in a training forward of x. */
export function findKinks(net: Sequential, x: Tensor, h: number): KinkReport[] {
  checkNumber('Sequential.kinkHits', 'h', h, 0, Infinity);
  const restore = snapshotState(net.layers);
  const out: KinkReport[] = [];
  try {
    let a = asInput(x, net.inputShape, 'Sequential.kinkHits');
    net.layers.forEach((layer, index) => {
      if (layer.kind === 'Relu') {
        let hits = 0;
        for (let i = 0; i < a.size; i++) if (Math.abs(a.data[i]) <= h) hits++;
        out.push({ layer: layer.label, kind: 'Relu', index, hits, total: a.size });
      } else if (layer.kind === 'Pooling') {
        const afterRelu = index > 0 && net.layers[index - 1].kind === 'Relu';
        out.push({ layer: layer.label, kind: 'Pooling', index, ...poolingTies(a, layer as Pooling, h, afterRelu) });
      }
      a = layer.forward(a, true);
    });
  } finally {
    restore.all();
  }
  return out;
}

/**
 * Windows of a max pooling over a (n, c, h, w) whose two largest real inputs differ by ≤ tol.
 * After a ReLU, a window whose largest input is 0 ties only clamped zeros, which a small step
 * does not move (the ReLU inputs that could are counted at the ReLU): not a hit. The window scan
 * is the reference poolForward's (padding cells skipped); it keeps the top two where the kernel
 * keeps one.
 */
function poolingTies(x: Tensor, pool: Pooling, tol: number, afterRelu: boolean): { hits: number; total: number } {
  const [n, c, h, w] = x.shape;
  const { poolH: ph, poolW: pw, stride, pad } = pool;
  const oh = Math.floor((h + 2 * pad - ph) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - pw) / stride) + 1;
  let hits = 0;
  for (let p = 0; p < n * c; p++) {
    for (let oi = 0; oi < oh; oi++) {
      for (let oj = 0; oj < ow; oj++) {
        let first = -Infinity;
        let second = -Infinity;
        for (let ki = 0; ki < ph; ki++) {
          const ii = oi * stride - pad + ki;
          if (ii < 0 || ii >= h) continue;
          for (let kj = 0; kj < pw; kj++) {
            const jj = oj * stride - pad + kj;
            if (jj < 0 || jj >= w) continue;
            const v = x.data[(p * h + ii) * w + jj];
            if (v > first) { second = first; first = v; } else if (v > second) second = v;
          }
        }
        if (first - second <= tol && !(afterRelu && first === 0)) hits++;
      }
    }
  }
  return { hits, total: n * c * oh * ow };
}

/**
 * Compares backprop with central-difference gradients for every parameter (the book's
 * gradient_check). Dropout masks are the same in both. For each parameter: max abs and relative
 * differences, the kink hits after its layer (see KinkReport) and the error expected without
 * them. h defaults to 1e-5 in float64 and 1e-2 in float32, where the rounding error ε·|L|/h
 * (ε ≈ 6e-8) would swamp a smaller step.
 */
export function gradientCheck(network: Sequential, x: Tensor, t: LabelsLike, h?: number): Record<string, GradientCheckEntry> {
  const hh = h ?? (network.dtype === 'float64' ? 1e-5 : 1e-2);
  const kinks = findKinks(network, x, hh);
  // numericalGradient leaves the dropout positions where it found them, so the backprop below
  // draws the very same masks.
  const num = centralDifferences(network, x, t, hh);
  const grad = network.gradient(x, t);
  const expected = expectedRelative(network, t);
  // Which layer each parameter tensor belongs to: kinks after it are the ones its steps cross.
  const layerOf = new Map<Tensor, number>();
  network.layers.forEach((l, i) => { for (const p of Object.values(l.params)) layerOf.set(p, i); });
  const out: Record<string, GradientCheckEntry> = {};
  for (const [name, n] of Object.entries(num)) {
    const b = grad[name];
    let maxAbs = 0;
    let scale = 0;
    for (let i = 0; i < n.size; i++) {
      const d = Math.abs(b.data[i] - n.data[i]);
      if (d > maxAbs || Number.isNaN(d)) maxAbs = d;
      scale = Math.max(scale, Math.abs(b.data[i]), Math.abs(n.data[i]));
    }
    const relative = scale > 0 ? maxAbs / scale : maxAbs;
    const at = layerOf.get(network.params[name]) ?? -1;
    const near = kinks.filter((k) => k.index > at && k.hits > 0);
    const kinkHits = near.reduce((sum, k) => sum + k.hits, 0);
    const verdict = relative <= 10 * expected ? 'agrees' : kinkHits > 0 ? 'differs' : 'DISAGREES (a backprop error?)';
    const message = `${name}: relative ${relative.toExponential(1)} ${verdict}; expected ≲ ${expected.toExponential(1)} without kinks` +
      (kinkHits > 0
        ? `, but ${near.map((k) => `${k.layer} ${plural(k.hits, 'input')} of ${thousands(k.total)}`).join(', ')} lie within h = ${hh} of a kink, ` +
          `where the central difference averages two slopes. Fix: nonzero biases (e.g. network.params.b1.data.fill(0.01)) and random, not blank, inputs.`
        : '.');
    out[name] = { shape: [...n.shape], maxAbs, relative, kinkHits, expectedRelative: expected, message };
  }
  return out;
}

/** The error a correct backprop shows without kinks (see GradientCheckEntry.expectedRelative), from the last forward's probabilities. */
function expectedRelative(network: Sequential, t: LabelsLike): number {
  if (network.dtype !== 'float64') return 1e-2;
  const y = network.lastLayer.y;
  const [n, k] = y.shape;
  let pMin = 1;
  for (let j = 0; j < n; j++) pMin = Math.min(pMin, y.data[j * k + labelAt(t, j, k)]);
  return 1e-7 / Math.max(pMin, 1e-7) + 1e-9;
}
