// Affine (fully connected) layer kernels: out = x·W + b.
import type { FloatArray } from '../types';
import { floatArg, floatArgOrNull, intArg, product } from './check';

/** x (n,d), W (d,m), b (m) → out (n,m). */
export function affineForward(x: FloatArray, w: FloatArray, b: FloatArray, n: number, d: number, m: number,
  out: FloatArray): void {
  const fn = 'affineForward';
  intArg(fn, 'n', n, 1); intArg(fn, 'd', d, 1); intArg(fn, 'm', m, 1);
  floatArg(fn, 'x', x, product(fn, n, d));
  floatArg(fn, 'w', w, product(fn, d, m));
  floatArg(fn, 'b', b, m);
  floatArg(fn, 'out', out, product(fn, n, m));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * w[k * m + j];
      out[i * m + j] = s + b[j];
    }
  }
}

/** dout (n,m), x (n,d), W (d,m) → dW (d,m), db (m), dx (n,d) or skipped when null. */
export function affineBackward(dout: FloatArray, x: FloatArray, w: FloatArray, n: number, d: number, m: number,
  dw: FloatArray, db: FloatArray, dx: FloatArray | null): void {
  const fn = 'affineBackward';
  intArg(fn, 'n', n, 1); intArg(fn, 'd', d, 1); intArg(fn, 'm', m, 1);
  floatArg(fn, 'dout', dout, product(fn, n, m));
  floatArg(fn, 'x', x, product(fn, n, d));
  floatArg(fn, 'w', w, product(fn, d, m));
  floatArg(fn, 'dw', dw, product(fn, d, m));
  floatArg(fn, 'db', db, m);
  floatArgOrNull(fn, 'dx', dx, product(fn, n, d));
  for (let k = 0; k < d; k++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i * d + k] * dout[i * m + j];
      dw[k * m + j] = s;
    }
  }
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += dout[i * m + j];
    db[j] = s;
  }
  if (dx === null) return;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += dout[i * m + j] * w[k * m + j];
      dx[i * d + k] = s;
    }
  }
}
