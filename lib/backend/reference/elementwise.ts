// Element-wise helpers used by layers and optimizers.
import type { FloatArray } from '../types';
import { floatArg, intArg, numberArg } from './check';

/** x, y (len): y += alpha · x. */
export function axpy(alpha: number, x: FloatArray, y: FloatArray, len: number): void {
  const fn = 'axpy';
  numberArg(fn, 'alpha', alpha);
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'x', x, len);
  floatArg(fn, 'y', y, len);
  for (let i = 0; i < len; i++) y[i] += alpha * x[i];
}

/** x (len) → out (len) = x · alpha; out may be x. */
export function scale(x: FloatArray, alpha: number, len: number, out: FloatArray): void {
  const fn = 'scale';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'x', x, len);
  numberArg(fn, 'alpha', alpha);
  floatArg(fn, 'out', out, len);
  for (let i = 0; i < len; i++) out[i] = x[i] * alpha;
}
