// Shape arithmetic shared by every backend and every layer, so they cannot disagree.
// Errors are thrown when a model is built, naming the layer, its settings, the incoming
// shape and a way out.
import type { ConvGeometry, PoolGeometry } from '../backend/types';

/** A shape that does not fit: thrown at build time, before any training step runs. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkPositiveInt(layer: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ShapeError(`${layer}: ${name} must be an integer ≥ ${min}, received ${v}.`);
  }
}

/**
 * One spatial output size, (in + 2·pad − k) / stride + 1, which must be a positive integer.
 * `what` names the axis ('height' or 'width'); `settings` is printed in the message.
 */
export function outputSize(layer: string, what: string, input: number, k: number, stride: number,
  pad: number, settings: string, incoming: readonly number[]): number {
  const span = input + 2 * pad - k;
  if (span < 0) {
    throw new ShapeError(
      `${layer} (${settings}): the ${k}-wide kernel does not fit the input ${what} ${input} ` +
        `padded by ${pad} on each side (${input + 2 * pad}); incoming shape ${formatShape(incoming)}. ` +
        `Fix: use a kernel of at most ${input + 2 * pad}, or pad by at least ${Math.ceil((k - input) / 2)}.`,
    );
  }
  if (span % stride !== 0) {
    // Suggest only fixes that really give a whole number: the nearest pad that does, and the
    // nearest input size that does with the current pad.
    let fitPad = -1;
    for (let p = pad + 1; p <= pad + stride; p++) {
      if ((input + 2 * p - k) % stride === 0) { fitPad = p; break; }
    }
    const fitInput = input - (span % stride);
    const fixes = [`stride 1`];
    if (fitPad >= 0) fixes.push(`pad ${fitPad}`);
    if (fitInput >= k - 2 * pad && fitInput > 0) fixes.push(`an input ${what} of ${fitInput} (crop) or ${fitInput + stride}`);
    throw new ShapeError(
      `${layer} (${settings}): output ${what} (${input} + 2·${pad} − ${k}) / ${stride} + 1 = ` +
        `${(span / stride + 1).toFixed(2)} is not a whole number; incoming shape ${formatShape(incoming)}. ` +
        `Fix: ${fixes.join(', or ')}.`,
    );
  }
  const out = span / stride + 1;
  if (out < 1) {
    throw new ShapeError(`${layer} (${settings}): output ${what} would be ${out}; incoming shape ${formatShape(incoming)}.`);
  }
  return out;
}

export interface ConvSettings { filters: number; kh: number; kw: number; stride: number; pad: number; }

/** Geometry of a convolution over an input of shape (n, c, h, w). */
export function convGeometry(layer: string, input: readonly number[], s: ConvSettings): ConvGeometry {
  if (input.length !== 4) {
    throw new ShapeError(
      `${layer}: expects images shaped (batch, channels, height, width), received shape ${formatShape(input)}. ` +
        `Fix: give the model inputShape [channels, height, width] (e.g. [1, 28, 28] for MNIST), or load data with flatten: false.`,
    );
  }
  checkPositiveInt(layer, 'filters', s.filters);
  checkPositiveInt(layer, 'kernel height', s.kh);
  checkPositiveInt(layer, 'kernel width', s.kw);
  checkPositiveInt(layer, 'stride', s.stride);
  checkPositiveInt(layer, 'pad', s.pad, 0);
  const [n, c, h, w] = input;
  const settings = `${s.filters} filters ${s.kh}×${s.kw}, stride ${s.stride}, pad ${s.pad}`;
  const oh = outputSize(layer, 'height', h, s.kh, s.stride, s.pad, settings, input);
  const ow = outputSize(layer, 'width', w, s.kw, s.stride, s.pad, settings, input);
  return { n, c, h, w, f: s.filters, kh: s.kh, kw: s.kw, stride: s.stride, pad: s.pad, oh, ow };
}

export interface PoolSettings { ph: number; pw: number; stride: number; pad: number; }

/** Geometry of max pooling over an input of shape (n, c, h, w). */
export function poolGeometry(layer: string, input: readonly number[], s: PoolSettings): PoolGeometry {
  if (input.length !== 4) {
    throw new ShapeError(
      `${layer}: pooling expects images shaped (batch, channels, height, width), received shape ${formatShape(input)}. ` +
        `Fix: pool only after a Convolution (before any Affine layer).`,
    );
  }
  checkPositiveInt(layer, 'pool height', s.ph);
  checkPositiveInt(layer, 'pool width', s.pw);
  checkPositiveInt(layer, 'stride', s.stride);
  checkPositiveInt(layer, 'pad', s.pad, 0);
  if (s.pad >= s.ph || s.pad >= s.pw) {
    throw new ShapeError(
      `${layer} (pool ${s.ph}×${s.pw}, stride ${s.stride}, pad ${s.pad}): pad must be smaller than the pool window, ` +
        `or a window could lie entirely in the padding. Fix: pad at most ${Math.min(s.ph, s.pw) - 1}.`,
    );
  }
  const [n, c, h, w] = input;
  const settings = `pool ${s.ph}×${s.pw}, stride ${s.stride}, pad ${s.pad}`;
  const oh = outputSize(layer, 'height', h, s.ph, s.stride, s.pad, settings, input);
  const ow = outputSize(layer, 'width', w, s.pw, s.stride, s.pad, settings, input);
  return { n, c, h, w, ph: s.ph, pw: s.pw, stride: s.stride, pad: s.pad, oh, ow };
}

/** Elements of the im2col buffer for a convolution geometry. */
export function colLength(g: ConvGeometry): number {
  return g.n * g.c * g.kh * g.kw * g.oh * g.ow;
}
