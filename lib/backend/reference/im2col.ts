// im2col / col2im: the col layout of lib/backend/types.ts, (n, c·kh·kw, oh·ow) per batch.
import type { ConvGeometry, FloatArray } from '../types';
import { convGeometryArg, floatArg } from './check';

/** Unchecked im2col, shared with convolution.ts (which has checked the arguments already). */
export function im2colInto(x: FloatArray, g: ConvGeometry, col: FloatArray): void {
  const { n, c, h, w, kh, kw, stride, pad, oh, ow } = g;
  const plane = h * w;
  const opix = oh * ow;
  const rows = c * kh * kw;
  for (let b = 0; b < n; b++) {
    const xb = b * c * plane;
    const cb = b * rows * opix;
    for (let ci = 0; ci < c; ci++) {
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const rowBase = cb + ((ci * kh + ki) * kw + kj) * opix;
          for (let oi = 0; oi < oh; oi++) {
            const ii = oi * stride - pad + ki;
            for (let oj = 0; oj < ow; oj++) {
              const jj = oj * stride - pad + kj;
              col[rowBase + oi * ow + oj] =
                ii >= 0 && ii < h && jj >= 0 && jj < w ? x[xb + ci * plane + ii * w + jj] : 0;
            }
          }
        }
      }
    }
  }
}

/** Unchecked col2im, shared with convolution.ts. */
export function col2imInto(col: FloatArray, g: ConvGeometry, dx: FloatArray): void {
  const { n, c, h, w, kh, kw, stride, pad, oh, ow } = g;
  const plane = h * w;
  const opix = oh * ow;
  const rows = c * kh * kw;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    const xb = b * c * plane;
    const cb = b * rows * opix;
    for (let ci = 0; ci < c; ci++) {
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const rowBase = cb + ((ci * kh + ki) * kw + kj) * opix;
          for (let oi = 0; oi < oh; oi++) {
            const ii = oi * stride - pad + ki;
            if (ii < 0 || ii >= h) continue;
            for (let oj = 0; oj < ow; oj++) {
              const jj = oj * stride - pad + kj;
              if (jj < 0 || jj >= w) continue;
              dx[xb + ci * plane + ii * w + jj] += col[rowBase + oi * ow + oj];
            }
          }
        }
      }
    }
  }
}

/** x (n,c,h,w) → col (n, c·kh·kw, oh·ow). */
export function im2col(x: FloatArray, g: ConvGeometry, col: FloatArray): void {
  const fn = 'im2col';
  g = convGeometryArg(fn, 'g', g);
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'col', col, g.n * g.c * g.kh * g.kw * g.oh * g.ow);
  im2colInto(x, g, col);
}

/** col (n, c·kh·kw, oh·ow) → dx (n,c,h,w), summing every entry that maps to a pixel. */
export function col2im(col: FloatArray, g: ConvGeometry, dx: FloatArray): void {
  const fn = 'col2im';
  g = convGeometryArg(fn, 'g', g);
  floatArg(fn, 'col', col, g.n * g.c * g.kh * g.kw * g.oh * g.ow);
  floatArg(fn, 'dx', dx, g.n * g.c * g.h * g.w);
  col2imInto(col, g, dx);
}
