// A tensor is a flat typed array plus a shape. Buffers belong to JavaScript and are reused;
// nothing needs disposing.
import { inspect } from 'node:util';
import type { FloatArray } from '../backend/types';
import { formatShape, sizeOf } from './shape';

export type DType = 'float32' | 'float64';

export class Tensor {
  constructor(public data: FloatArray, public shape: number[]) {
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(
        `Tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values but the array has ${data.length}.`,
      );
    }
  }

  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const n = sizeOf(shape);
    return new Tensor(dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), [...shape]);
  }

  static from(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    return new Tensor(data, [...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  /** The same data seen with another shape (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, [...shape]);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), [...this.shape]);
  }

  /** One line for console.log: shape, dtype and the first values (a batch of images is millions). */
  toString(): string {
    const n = Math.min(6, this.data.length);
    const first: string[] = [];
    for (let i = 0; i < n; i++) first.push(Number(this.data[i].toPrecision(4)).toString());
    return `Tensor${formatShape(this.shape)} ${this.dtype} [${first.join(', ')}${this.data.length > n ? ', …' : ''}]`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
