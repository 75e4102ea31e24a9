// Convolution as im2col + matrix product, written as plain loops (the definition of correct).
import type { ConvGeometry, FloatArray } from '../types';
import { convGeometryArg, floatArg, floatArgOrNull } from './check';
import { col2imInto, im2colInto } from './im2col';

/** x (n,c,h,w), W (f,c,kh,kw), b (f) → out (n,f,oh,ow); col (n, c·kh·kw, oh·ow) keeps im2col(x). */
export function convForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, out: FloatArray,
  col: FloatArray): void {
  const fn = 'convForward';
  g = convGeometryArg(fn, 'g', g);
  const rows = g.c * g.kh * g.kw;
  const opix = g.oh * g.ow;
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'w', w, g.f * rows);
  floatArg(fn, 'b', b, g.f);
  floatArg(fn, 'out', out, g.n * g.f * opix);
  floatArg(fn, 'col', col, g.n * rows * opix);
  im2colInto(x, g, col);
  for (let n = 0; n < g.n; n++) {
    const cb = n * rows * opix;
    for (let f = 0; f < g.f; f++) {
      const ob = (n * g.f + f) * opix;
      for (let p = 0; p < opix; p++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += w[f * rows + r] * col[cb + r * opix + p];
        out[ob + p] = s + b[f];
      }
    }
  }
}

/** dout (n,f,oh,ow) + col → dW (f,c,kh,kw), db (f), dx (n,c,h,w) or skipped when null. */
export function convBackward(dout: FloatArray, w: FloatArray, col: FloatArray, g: ConvGeometry,
  dw: FloatArray, db: FloatArray, dx: FloatArray | null): void {
  const fn = 'convBackward';
  g = convGeometryArg(fn, 'g', g);
  const rows = g.c * g.kh * g.kw;
  const opix = g.oh * g.ow;
  floatArg(fn, 'dout', dout, g.n * g.f * opix);
  floatArg(fn, 'w', w, g.f * rows);
  floatArg(fn, 'col', col, g.n * rows * opix);
  floatArg(fn, 'dw', dw, g.f * rows);
  floatArg(fn, 'db', db, g.f);
  floatArgOrNull(fn, 'dx', dx, g.n * g.c * g.h * g.w);

  for (let f = 0; f < g.f; f++) {
    let s = 0;
    for (let n = 0; n < g.n; n++) {
      const ob = (n * g.f + f) * opix;
      for (let p = 0; p < opix; p++) s += dout[ob + p];
    }
    db[f] = s;
    for (let r = 0; r < rows; r++) {
      let t = 0;
      for (let n = 0; n < g.n; n++) {
        const ob = (n * g.f + f) * opix;
        const cb = n * rows * opix + r * opix;
        for (let p = 0; p < opix; p++) t += dout[ob + p] * col[cb + p];
      }
      dw[f * rows + r] = t;
    }
  }
  if (dx === null) return;
  // dW is complete, so col is free: it becomes dcol = Wᵀ·dout per image, then col2im folds it back.
  for (let n = 0; n < g.n; n++) {
    const cb = n * rows * opix;
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < opix; p++) {
        let s = 0;
        for (let f = 0; f < g.f; f++) s += w[f * rows + r] * dout[(n * g.f + f) * opix + p];
        col[cb + r * opix + p] = s;
      }
    }
  }
  col2imInto(col, g, dx);
}
