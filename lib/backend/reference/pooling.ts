// Max pooling. Padded cells are skipped (never win); the first maximum in window scan order wins ties.
import type { FloatArray, PoolGeometry } from '../types';
import { floatArg, int32Arg, poolGeometryArg } from './check';

/** x (n,c,h,w) → out (n,c,oh,ow), argmax (n,c,oh,ow) = winner's flat index in its (h,w) plane. */
export function poolForward(x: FloatArray, g: PoolGeometry, out: FloatArray, argmax: Int32Array): void {
  const fn = 'poolForward';
  g = poolGeometryArg(fn, 'g', g);
  const { n, c, h, w, ph, pw, stride, pad, oh, ow } = g;
  floatArg(fn, 'x', x, n * c * h * w);
  floatArg(fn, 'out', out, n * c * oh * ow);
  int32Arg(fn, 'argmax', argmax, n * c * oh * ow);
  const plane = h * w;
  for (let p = 0; p < n * c; p++) {
    const xb = p * plane;
    const ob = p * oh * ow;
    for (let oi = 0; oi < oh; oi++) {
      for (let oj = 0; oj < ow; oj++) {
        let best = -Infinity;
        let arg = -1;
        for (let ki = 0; ki < ph; ki++) {
          const ii = oi * stride - pad + ki;
          if (ii < 0 || ii >= h) continue;
          for (let kj = 0; kj < pw; kj++) {
            const jj = oj * stride - pad + kj;
            if (jj < 0 || jj >= w) continue;
            const v = x[xb + ii * w + jj];
            // arg < 0 takes the first real cell even when it is -Infinity or NaN.
            if (arg < 0 || v > best) {
              best = v;
              arg = ii * w + jj;
            }
          }
        }
        out[ob + oi * ow + oj] = best;
        argmax[ob + oi * ow + oj] = arg;
      }
    }
  }
}

/** dout (n,c,oh,ow) + argmax → dx (n,c,h,w): zero, plus dout routed to each winner (summed on overlap). */
export function poolBackward(dout: FloatArray, argmax: Int32Array, g: PoolGeometry, dx: FloatArray): void {
  const fn = 'poolBackward';
  g = poolGeometryArg(fn, 'g', g);
  const { n, c, h, w, oh, ow } = g;
  floatArg(fn, 'dout', dout, n * c * oh * ow);
  int32Arg(fn, 'argmax', argmax, n * c * oh * ow);
  floatArg(fn, 'dx', dx, n * c * h * w);
  const plane = h * w;
  const opix = oh * ow;
  // Checked before dx is touched, so a bad argmax leaves dx as it was.
  for (let i = 0; i < argmax.length; i++) {
    if (argmax[i] < 0 || argmax[i] >= plane) {
      throw new RangeError(`${fn}: 'argmax' must hold indices in [0, ${plane}) (h·w), but argmax[${i}] is ${argmax[i]}. ` +
        `Fix: pass the argmax that poolForward wrote for the same geometry.`);
    }
  }
  dx.fill(0);
  for (let p = 0; p < n * c; p++) {
    for (let o = 0; o < opix; o++) dx[p * plane + argmax[p * opix + o]] += dout[p * opix + o];
  }
}
