// The data loader's per-batch conversion of byte images to floats.
import type { FloatArray } from '../types';
import { intArg, numberArg } from './check';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  return ArrayBuffer.isView(v) ? (v as object).constructor.name : Array.isArray(v) ? 'Array' : typeof v;
}

/** out row s = src row (rows ? rows[start + s] : start + s) / divisor, for s in [0, end − start). */
export function gatherBytes(src: Uint8Array, rowLength: number, rows: Int32Array | null, start: number, end: number,
  divisor: number, out: FloatArray): void {
  const fn = 'gatherBytes';
  if (!(src instanceof Uint8Array)) throw new TypeError(`${fn}: expected Uint8Array for 'src' (argument 1) but received ${describe(src)}`);
  intArg(fn, 'rowLength', rowLength, 1);
  const count = Math.floor(src.length / rowLength);
  if (count * rowLength !== src.length) {
    throw new RangeError(`${fn}: 'src' has ${src.length} bytes, not a whole number of rows of rowLength ${rowLength}.`);
  }
  intArg(fn, 'start', start, 0);
  intArg(fn, 'end', end, start);
  numberArg(fn, 'divisor', divisor);
  if (!(divisor > 0)) throw new RangeError(`${fn}: 'divisor' must be > 0, received ${divisor}`);
  const n = end - start;
  if (rows === null) {
    if (end > count) throw new RangeError(`${fn}: 'end' ${end} is past the ${count} rows of src.`);
  } else {
    if (!(rows instanceof Int32Array)) {
      throw new TypeError(`${fn}: expected Int32Array or null for 'rows' (argument 3) but received ${describe(rows)}`);
    }
    if (end > rows.length) throw new RangeError(`${fn}: 'end' ${end} is past the ${rows.length} entries of rows.`);
    for (let s = start; s < end; s++) {
      if (rows[s] < 0 || rows[s] >= count) {
        throw new RangeError(`${fn}: rows[${s}] = ${rows[s]} is not a row of src (0 to ${count - 1}).`);
      }
    }
  }
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError(`${fn}: expected Float32Array or Float64Array for 'out' (argument 7) but received ${describe(out)}`);
  }
  if (out.length !== n * rowLength) {
    throw new RangeError(`${fn}: 'out' must have ${n * rowLength} elements (${n} rows of ${rowLength}), but has ${out.length}`);
  }
  for (let s = 0; s < n; s++) {
    const from = (rows === null ? start + s : rows[start + s]) * rowLength;
    const to = s * rowLength;
    for (let j = 0; j < rowLength; j++) out[to + j] = src[from + j] / divisor;
  }
}
