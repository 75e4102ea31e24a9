// Labels as a user has them — the book's one-hot rows (t_train with one_hot_label=True), class
// indices (its default), a LabelSet, a plain array — turned into what SoftmaxWithLoss takes:
// class indices in an Int32Array, or one-hot rows of the network's dtype. One place decides what
// the class of a sample is, so that the loss, the running training accuracy, accuracy() and the
// gradient check's expected error all read a label the same way.
import { describeValue } from '../check';
import { LabelSet } from '../data/dataset';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { Sequential } from './sequential';

/** Labels accepted by loss/gradient/accuracy: class indices (Int32Array, a LabelSet's Uint8Array, an array), a LabelSet, or a Tensor (one-hot rows, or indices). */
export type LabelsLike = Int32Array | Uint8Array | LabelSet | Tensor | readonly number[];

/** The index of the largest of a[off..off+k) (the first one on ties, as NumPy's argmax): a row's class. */
export function argmaxRow(a: ArrayLike<number>, off: number, k: number): number {
  let best = 0;
  let bv = a[off];
  for (let j = 1; j < k; j++) {
    const v = a[off + j];
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}

/** The class index of sample j: a label, a one-hot (or target distribution) row's argmax, or an index tensor's entry. */
export function labelAt(t: LabelsLike, j: number, k: number): number {
  if (t instanceof LabelSet) return t.labels[j];
  if (t instanceof Tensor) return t.shape.length === 2 ? argmaxRow(t.data, j * k, k) : t.data[j];
  return t[j];
}

/** How many samples t labels (rows of a one-hot Tensor). */
export function labelCount(t: LabelsLike): number {
  return t instanceof LabelSet ? t.count : t instanceof Tensor ? t.shape[0] : t.length;
}

/** How many of `count` score rows (k each, from row yRow of y) have their top score at the label of sample tRow + i. */
export function countCorrect(y: ArrayLike<number>, yRow: number, t: LabelsLike, tRow: number, count: number, k: number): number {
  let correct = 0;
  for (let i = 0; i < count; i++) {
    if (argmaxRow(y, (yRow + i) * k, k) === labelAt(t, tRow + i, k)) correct++;
  }
  return correct;
}

/**
 * Labels for n samples as the loss layer takes them: an Int32Array of indices (given ones as
 * they are, others copied into the network's label buffer, every index checked) or a one-hot
 * Tensor of the network's shape and dtype.
 */
export function labelsFor(net: Sequential, t: LabelsLike, n: number, where: string): Int32Array | Tensor {
  if (t instanceof Int32Array) {
    if (t.length !== n) throw new RangeError(`${where}: ${t.length} labels for ${n} samples; give one class index per sample.`);
    return t;
  }
  if (t instanceof LabelSet) {
    if (t.count !== n) throw new RangeError(`${where}: the LabelSet has ${t.count} labels for ${n} samples; give one label per sample.`);
    const buf = net.labelBuffer(n);
    t.gather(null, 0, n, buf);
    return buf;
  }
  if (t instanceof Tensor) {
    if (t.shape.length === 2) {
      if (t.shape[0] !== n || t.shape[1] !== net.numClasses) {
        throw new RangeError(`${where}: one-hot labels shaped ${formatShape(t.shape)} do not match ${n} samples × ${net.numClasses} classes; expected (${n}, ${net.numClasses}).`);
      }
      if (t.dtype !== net.dtype) {
        throw new TypeError(`${where}: one-hot labels are ${t.dtype} but the network is ${net.dtype}; convert them (Tensor.from(t.data, t.shape, '${net.dtype}')) or pass class indices (Int32Array).`);
      }
      return t;
    }
    if (t.shape.length === 1) return indicesFrom(net, t.data, n, where);
    throw new RangeError(`${where}: labels must be class indices (n) or one-hot rows (n, ${net.numClasses}), received a tensor shaped ${formatShape(t.shape)}.`);
  }
  // Any list of class indices: a plain array, or the Uint8Array of a LabelSet's labels.
  if (Array.isArray(t) || (ArrayBuffer.isView(t) && !(t instanceof DataView))) return indicesFrom(net, t as ArrayLike<number>, n, where);
  throw new TypeError(`${where}: labels must be an Int32Array of class indices, a LabelSet or a one-hot Tensor, received ${describeValue(t)}.`);
}

function indicesFrom(net: Sequential, values: ArrayLike<number>, n: number, where: string): Int32Array {
  if (values.length !== n) throw new RangeError(`${where}: ${values.length} labels for ${n} samples; give one class index per sample.`);
  const buf = net.labelBuffer(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= net.numClasses) {
      throw new RangeError(`${where}: label ${i} is ${v}, not a class index in [0, ${net.numClasses}).`);
    }
    buf[i] = v;
  }
  return buf;
}
