// ReLU and Sigmoid, element-wise over len values.
import type { FloatArray } from '../types';
import { floatArg, intArg } from './check';

/** x (len) → out (len) = max(0, x). */
export function reluForward(x: FloatArray, len: number, out: FloatArray): void {
  const fn = 'reluForward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'x', x, len);
  floatArg(fn, 'out', out, len);
  for (let i = 0; i < len; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

/** dout, out (len) → dx (len) = dout where out > 0, else 0. */
export function reluBackward(dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void {
  const fn = 'reluBackward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'dout', dout, len);
  floatArg(fn, 'out', out, len);
  floatArg(fn, 'dx', dx, len);
  for (let i = 0; i < len; i++) dx[i] = out[i] > 0 ? dout[i] : 0;
}

/** x (len) → out (len) = 1 / (1 + e^−x). */
export function sigmoidForward(x: FloatArray, len: number, out: FloatArray): void {
  const fn = 'sigmoidForward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'x', x, len);
  floatArg(fn, 'out', out, len);
  for (let i = 0; i < len; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
}

/** dout, out (len) → dx (len) = dout · out · (1 − out). */
export function sigmoidBackward(dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void {
  const fn = 'sigmoidBackward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'dout', dout, len);
  floatArg(fn, 'out', out, len);
  floatArg(fn, 'dx', dx, len);
  for (let i = 0; i < len; i++) dx[i] = dout[i] * out[i] * (1 - out[i]);
}
