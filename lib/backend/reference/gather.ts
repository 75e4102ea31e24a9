// The data loader's per-batch conversion of byte images to floats.
import type { FloatArray } from '../types';
import { describe, intArg, numberArg, rowsArg } from './check';

/** out row s = src row (rows ? rows[start + s] : start + s) / divisor, for s in [0, end − start). */
export function gatherBytes(src: Uint8Array, rowLength: number, rows: Int32Array | null, start: number, end: number,
  divisor: number, out: FloatArray): void {
  const fn = 'gatherBytes';
  if (!(src instanceof Uint8Array)) throw new TypeError(`${fn}: expected Uint8Array for 'src' (argument 1) but received ${describe(src)}`);
  intArg(fn, 'rowLength', rowLength, 1);
  const count = Math.floor(src.length / rowLength);
  if (count * rowLength !== src.length) {
    throw new RangeError(`${fn}: 'src' has ${src.length} bytes, not a whole number of rows of rowLength ${rowLength}. ` +
      'Fix: pass the values per sample as rowLength (784 for MNIST images).');
  }
  intArg(fn, 'start', start, 0);
  intArg(fn, 'end', end, start);
  numberArg(fn, 'divisor', divisor);
  if (!(divisor > 0)) throw new RangeError(`${fn}: 'divisor' must be > 0, received ${divisor}. Fix: 255 scales bytes to [0, 1], 1 keeps them as they are.`);
  const n = end - start;
  rowsArg(fn, rows, start, end, count, 'row', 3);
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError(`${fn}: expected Float32Array or Float64Array for 'out' (argument 7) but received ${describe(out)}`);
  }
  if (out.length !== n * rowLength) {
    throw new RangeError(`${fn}: 'out' must have ${n * rowLength} elements (${n} rows of ${rowLength}), but has ${out.length}. ` +
      'Fix: pass a subarray of exactly that length.');
  }
  for (let s = 0; s < n; s++) {
    const from = (rows === null ? start + s : rows[start + s]) * rowLength;
    const to = s * rowLength;
    for (let j = 0; j < rowLength; j++) out[to + j] = src[from + j] / divisor;
  }
}
