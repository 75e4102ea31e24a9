// Argument checking for the reference kernels. It mirrors native/bindings/args.h so that both
// backends reject the same calls with the same kind of error (TypeError for a wrong type,
// RangeError for a wrong size or value), each message naming the function and the argument.
import type { BatchNormGeometry, ConvGeometry, FloatArray, PoolGeometry } from '../types';

/** Largest element count of one array, as on the native side (GEMM takes int dimensions). */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** Largest geometry field, as on the native side. */
const MAX_FIELD = 1 << 24;

/** A value as error messages name it: its typed-array class, Array, number 3, null … */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (ArrayBuffer.isView(v)) return (v as object).constructor.name;
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}

/** A Float32Array or Float64Array with exactly `expected` elements. */
export function floatArg(fn: string, name: string, v: unknown, expected: number): FloatArray {
  if (!(v instanceof Float32Array) && !(v instanceof Float64Array)) {
    throw new TypeError(`${fn}: expected Float32Array or Float64Array for '${name}' but received ${describe(v)}`);
  }
  if (v.length !== expected) {
    throw new RangeError(`${fn}: '${name}' must have ${expected} elements for the sizes given, but has ${v.length}`);
  }
  return v;
}

/** Same, but null is allowed (a skipped input gradient). */
export function floatArgOrNull(fn: string, name: string, v: unknown, expected: number): FloatArray | null {
  return v === null ? null : floatArg(fn, name, v, expected);
}

export function int32Arg(fn: string, name: string, v: unknown, expected: number): Int32Array {
  if (!(v instanceof Int32Array)) {
    throw new TypeError(`${fn}: expected Int32Array for '${name}' but received ${describe(v)}`);
  }
  if (v.length !== expected) {
    throw new RangeError(`${fn}: '${name}' must have ${expected} elements for the sizes given, but has ${v.length}`);
  }
  return v;
}

export function uint8Arg(fn: string, name: string, v: unknown, expected: number): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new TypeError(`${fn}: expected Uint8Array for '${name}' but received ${describe(v)}`);
  }
  if (v.length !== expected) {
    throw new RangeError(`${fn}: '${name}' must have ${expected} elements for the sizes given, but has ${v.length}`);
  }
  return v;
}

/** A finite number. */
export function numberArg(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: expected a number for '${name}' but received ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${fn}: '${name}' must be finite, received ${v}`);
  return v;
}

/** A finite number in [min, max]; `range` prints the allowed interval, e.g. "[0, 1)". */
export function numberInRange(fn: string, name: string, v: unknown, min: number, max: number, range?: string): number {
  const d = numberArg(fn, name, v);
  if (d < min || d > max) {
    throw new RangeError(`${fn}: '${name}' must be in ${range ?? `[${min}, ${max}]`}, received ${d}`);
  }
  return d;
}

/** An integer in [min, max]. */
export function intArg(fn: string, name: string, v: unknown, min: number, max = MAX_ELEMENTS): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: expected an integer for '${name}' but received ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${fn}: '${name}' must be an integer in [${min}, ${max}], received ${v}`);
  }
  return v;
}

export function boolArg(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: expected a boolean for '${name}' but received ${describe(v)}`);
  return v;
}

// The checks below run on every kernel call (the reference backend is also the fallback for
// training), so they allocate nothing unless they throw: geometries are validated in place and
// messages are built only on the error path.

function objectArg(fn: string, name: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new TypeError(`${fn}: expected a geometry object for '${name}' but received ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

/** An integer field o[key] in [min, max], named "g.key" in errors. */
function field(fn: string, o: Record<string, unknown>, obj: string, key: string, min: number, max = MAX_FIELD): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) intArg(fn, `${obj}.${key}`, v, min, max);
}

/** Refuses products of sizes above MAX_ELEMENTS (as the native side does); returns the product. */
export function product(fn: string, a: number, b: number, c = 1, d = 1, e = 1, f = 1): number {
  const p = a * b * c * d * e * f;
  if (p > MAX_ELEMENTS) {
    throw new RangeError(`${fn}: the sizes given describe a buffer of more than ${MAX_ELEMENTS} elements`);
  }
  return p;
}

/** The output size must be floor((in + 2·pad − k) / stride) + 1, as lib/tensor/shape.ts computes it (and native/bindings/args.h checks). */
function checkOutputSize(fn: string, obj: string, axis: 'oh' | 'ow', input: number, k: number, stride: number,
  pad: number, given: number): void {
  const span = input + 2 * pad - k;
  if (span >= 0 && Math.floor(span / stride) + 1 === given) return;
  if (span < 0) {
    throw new RangeError(`${fn}: the geometry is inconsistent: the ${axis === 'oh' ? 'height' : 'width'} window (${k}) ` +
      `is larger than the padded input (${input} + 2·${pad}). Fix: build the geometry with convGeometry/poolGeometry ` +
      `(lib/tensor/shape.ts), which explain what to change.`);
  }
  const formula = `floor((${input} + 2·${pad} − ${k}) / ${stride}) + 1`;
  throw new RangeError(`${fn}: the geometry is inconsistent: ${obj}.${axis} must be ${formula} = ${Math.floor(span / stride) + 1}, ` +
    `received ${given}. Fix: build the geometry with convGeometry/poolGeometry (lib/tensor/shape.ts).`);
}

export function convGeometryArg(fn: string, name: string, v: unknown): ConvGeometry {
  const o = objectArg(fn, name, v);
  field(fn, o, name, 'n', 1); field(fn, o, name, 'c', 1);
  field(fn, o, name, 'h', 1); field(fn, o, name, 'w', 1);
  field(fn, o, name, 'f', 1); field(fn, o, name, 'kh', 1); field(fn, o, name, 'kw', 1);
  field(fn, o, name, 'stride', 1); field(fn, o, name, 'pad', 0);
  field(fn, o, name, 'oh', 1); field(fn, o, name, 'ow', 1);
  const g = v as ConvGeometry;
  checkOutputSize(fn, name, 'oh', g.h, g.kh, g.stride, g.pad, g.oh);
  checkOutputSize(fn, name, 'ow', g.w, g.kw, g.stride, g.pad, g.ow);
  product(fn, g.n, g.c, g.h, g.w);
  product(fn, g.n, g.c, g.kh, g.kw, g.oh, g.ow);
  product(fn, g.n, g.f, g.oh, g.ow);
  product(fn, g.f, g.c, g.kh, g.kw);
  return g;
}

export function poolGeometryArg(fn: string, name: string, v: unknown): PoolGeometry {
  const o = objectArg(fn, name, v);
  field(fn, o, name, 'n', 1); field(fn, o, name, 'c', 1);
  field(fn, o, name, 'h', 1); field(fn, o, name, 'w', 1);
  field(fn, o, name, 'ph', 1); field(fn, o, name, 'pw', 1);
  field(fn, o, name, 'stride', 1); field(fn, o, name, 'pad', 0);
  field(fn, o, name, 'oh', 1); field(fn, o, name, 'ow', 1);
  const g = v as PoolGeometry;
  // A window lying entirely in the padding would have no winner.
  if (g.pad >= g.ph || g.pad >= g.pw) {
    throw new RangeError(`${fn}: ${name}.pad (${g.pad}) must be smaller than the window ${g.ph}×${g.pw}, or a window ` +
      `could lie entirely in the padding. Fix: pad at most ${Math.min(g.ph, g.pw) - 1}.`);
  }
  checkOutputSize(fn, name, 'oh', g.h, g.ph, g.stride, g.pad, g.oh);
  checkOutputSize(fn, name, 'ow', g.w, g.pw, g.stride, g.pad, g.ow);
  product(fn, g.n, g.c, g.h, g.w);
  product(fn, g.n, g.c, g.oh, g.ow);
  return g;
}

export function batchNormGeometryArg(fn: string, name: string, v: unknown): BatchNormGeometry {
  const o = objectArg(fn, name, v);
  field(fn, o, name, 'n', 1, MAX_ELEMENTS); field(fn, o, name, 'c', 1, MAX_ELEMENTS); field(fn, o, name, 's', 1, MAX_ELEMENTS);
  const g = v as BatchNormGeometry;
  product(fn, g.n, g.c, g.s);
  return g;
}

/**
 * Class indices (Int32Array of n, each in [0, k)) or a target distribution (FloatArray of n·k).
 * Returns true for indices.
 */
export function labelsArg(fn: string, name: string, v: unknown, n: number, k: number): boolean {
  if (v instanceof Int32Array) {
    int32Arg(fn, name, v, n);
    for (let i = 0; i < n; i++) {
      if (v[i] < 0 || v[i] >= k) {
        throw new RangeError(`${fn}: '${name}' must hold class indices in [0, ${k}), but ${name}[${i}] is ${v[i]}. ` +
          `Fix: check the label data, or k (the number of classes).`);
      }
    }
    return true;
  }
  if (v instanceof Float32Array || v instanceof Float64Array) {
    floatArg(fn, name, v, n * k);
    return false;
  }
  throw new TypeError(`${fn}: expected Int32Array (class indices) or Float32Array/Float64Array (one-hot) for '${name}' ` +
    `but received ${describe(v)}`);
}


/**
 * The `rows` argument of the byte gathers: null (samples start..end − 1 of src, at most `count`)
 * or an Int32Array whose [start, end) entries are sample numbers in [0, count). `noun` names a
 * sample in the messages ('row', 'image'); `position` is the argument's place in the call.
 */
export function rowsArg(fn: string, rows: unknown, start: number, end: number, count: number, noun: string, position: number): void {
  if (rows === null) {
    if (end > count) throw new RangeError(`${fn}: 'end' ${end} is past the ${count} ${noun}s of src. Fix: end at most ${count}.`);
    return;
  }
  if (!(rows instanceof Int32Array)) {
    throw new TypeError(`${fn}: expected Int32Array or null for 'rows' (argument ${position}) but received ${describe(rows)}`);
  }
  if (end > rows.length) throw new RangeError(`${fn}: 'end' ${end} is past the ${rows.length} entries of rows. Fix: end at most ${rows.length}.`);
  for (let s = start; s < end; s++) {
    if (rows[s] < 0 || rows[s] >= count) {
      throw new RangeError(`${fn}: rows[${s}] = ${rows[s]} is not ${noun[0] === 'i' ? 'an' : 'a'} ${noun} of src (0 to ${count - 1}). ` +
        `Fix: pass sample indices of this dataset, e.g. a permutation of 0..${count - 1}.`);
    }
  }
}
