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
 * One spatial output size as the book (`1 + int((H + 2·pad − FH) / stride)`) and PyTorch compute
 * it: floor((in + 2·pad − k) / stride) + 1. Input rows or columns past the last whole window are
 * not read (see unusedInputs). `what` names the axis ('height' or 'width'); `settings` is printed
 * in the message.
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
  return Math.floor(span / stride) + 1;
}

/**
 * Indices in [0, input) of one axis that no window reads: those past the last whole window
 * (floor semantics), and those between windows when the stride is larger than the window.
 */
export function unusedInputs(input: number, k: number, stride: number, pad: number, out: number): number[] {
  const used = new Uint8Array(input);
  for (let o = 0; o < out; o++) {
    const lo = Math.max(o * stride - pad, 0);
    const hi = Math.min(o * stride - pad + k, input);
    for (let i = lo; i < hi; i++) used[i] = 1;
  }
  const unused: number[] = [];
  for (let i = 0; i < input; i++) if (!used[i]) unused.push(i);
  return unused;
}

function listIndices(what: string, idx: readonly number[], of: number): string {
  const plural = idx.length === 1 ? what : `${what}s`;
  if (idx.length <= 3) return `${plural} ${idx.join(', ')} (of ${of})`;
  return `${idx.length} of ${of} ${what}s (${idx.slice(0, 3).join(', ')}, …)`;
}

/**
 * For summaries: which input rows and columns a window geometry leaves unread, or null when it
 * reads them all. E.g. "ignores row 27 (of 28) and column 27 (of 28): floor((28 + 2·0 − 5) / 2) + 1 = 12 windows".
 */
export function describeUnused(g: { h: number; w: number; stride: number; pad: number; oh: number; ow: number },
  kh: number, kw: number): string | null {
  const rows = unusedInputs(g.h, kh, g.stride, g.pad, g.oh);
  const cols = unusedInputs(g.w, kw, g.stride, g.pad, g.ow);
  if (rows.length === 0 && cols.length === 0) return null;
  const parts: string[] = [];
  if (rows.length) {
    parts.push(`${listIndices('row', rows, g.h)}: floor((${g.h} + 2·${g.pad} − ${kh}) / ${g.stride}) + 1 = ${g.oh} windows`);
  }
  if (cols.length) {
    parts.push(`${listIndices('column', cols, g.w)}: floor((${g.w} + 2·${g.pad} − ${kw}) / ${g.stride}) + 1 = ${g.ow} windows`);
  }
  return `ignores input ${parts.join('; ')}`;
}

/** How Convolution and Pooling pad, as Keras / TensorFlow.js users write it, or the book's pad n on every side. */
export type Padding = 'same' | 'valid' | number;

/** Validates a padding option value ('same', 'valid' or an integer ≥ 0), naming the owner. */
export function checkPadding(owner: string, name: string, v: unknown): Padding {
  if (v === 'same' || v === 'valid') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw new RangeError(`${owner}: ${name} must be 'same', 'valid' or an integer ≥ 0 (the pad on every side), received ${JSON.stringify(v)}.`);
}

/**
 * The pad on every side that a padding gives for an input (n, c, h, w): 'valid' is 0, a number
 * is itself, 'same' is the pad whose output is ceil(in / stride) on both axes, as in Keras and
 * TensorFlow.js. Those pad (out − 1)·stride + k − in in total, the odd one on the bottom/right;
 * scratchnet's kernels (the book's im2col) pad every side alike, so 'same' is accepted where that
 * total is even and equal on both axes — always for stride 1 and odd kernels — and refused
 * otherwise with the pads that come closest.
 */
export function resolvePadding(layer: string, settings: string, padding: Padding, input: readonly number[],
  kh: number, kw: number, stride: number): number {
  if (padding === 'valid') return 0;
  if (padding !== 'same') return padding;
  if (input.length !== 4) return 0; // the geometry check that follows names the wrong shape
  const [, , h, w] = input;
  const axis = (what: string, inp: number, k: number) => {
    const out = Math.ceil(inp / stride);
    return { what, inp, k, out, total: Math.max((out - 1) * stride + k - inp, 0) };
  };
  const axes = [axis('height', h, kh), axis('width', w, kw)];
  const where = `${layer} (${settings}, padding 'same') on incoming shape ${formatShape(input)}`;
  for (const a of axes) {
    if (a.total % 2 === 0) continue;
    const lower = (a.total - 1) / 2;
    const upper = lower + 1;
    const outWith = (p: number) => Math.floor((a.inp + 2 * p - a.k) / stride) + 1;
    const fixes = [
      `pad: ${upper} (output ${a.what} ${outWith(upper)}${outWith(upper) === a.out ? `, the same size, each window one ${a.what === 'height' ? 'row above' : 'column left of'} TensorFlow's` : ''})`,
      `pad: ${lower} (output ${a.what} ${outWith(lower)})`,
    ];
    if (stride > 1) {
      fixes.push(`an input ${a.what} of ${a.inp + 1} or ${a.inp - 1}`);
    } else {
      fixes.push(`an odd kernel size (${a.k - 1} or ${a.k + 1})`);
    }
    throw new ShapeError(
      `${where}: 'same' (output ceil(${a.inp} / ${stride}) = ${a.out}) needs ${a.total} ${a.what === 'height' ? 'row' : 'column'}${a.total === 1 ? '' : 's'} of padding ` +
        `in total, which TensorFlow splits ${lower} before and ${upper} after; scratchnet pads every side by the same amount ` +
        `(the book's pad, PyTorch's padding=n), so it cannot reproduce that split.` +
        (stride > 1 ? ` (PyTorch refuses padding='same' with a stride above 1 altogether.)` : '') +
        ` Fix: ${fixes.join(', or ')}.`,
    );
  }
  const [ah, aw] = axes;
  if (ah.total !== aw.total) {
    throw new ShapeError(
      `${where}: 'same' needs pad ${ah.total / 2} on the height (output ${ah.out}) but ${aw.total / 2} on the width ` +
        `(output ${aw.out}); scratchnet's pad is one number for both axes. Fix: pad: ${ah.total / 2} or pad: ${aw.total / 2}, ` +
        `or a square kernel on a square input.`,
    );
  }
  return ah.total / 2;
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
