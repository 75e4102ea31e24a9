// Convolution → Relu as one kernel, written as the definition: the reference convolution and
// Relu kernels in sequence. Backward rebuilds the im2col buffer the fused kernel does not keep.
import type { ConvGeometry, FloatArray } from '../types';
import { convGeometryArg, floatArg, floatArgOrNull } from './check';
import { reluBackward, reluForward } from './activation';
import { convBackward, convForward } from './convolution';
import { im2col } from './im2col';
import { colLength } from '../../tensor/shape';

function scratchLike(a: FloatArray, length: number): FloatArray {
  return a instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
}

export function convReluForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, out: FloatArray): void {
  const fn = 'convReluForward';
  g = convGeometryArg(fn, 'g', g);
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'w', w, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'b', b, g.f);
  const len = g.n * g.f * g.oh * g.ow;
  floatArg(fn, 'out', out, len);
  convForward(x, w, b, g, out, scratchLike(out, colLength(g)));
  reluForward(out, len, out);
}

export function convReluBackward(dout: FloatArray, out: FloatArray, x: FloatArray, w: FloatArray, g: ConvGeometry,
  dw: FloatArray, db: FloatArray, dx: FloatArray | null): void {
  const fn = 'convReluBackward';
  g = convGeometryArg(fn, 'g', g);
  const len = g.n * g.f * g.oh * g.ow;
  floatArg(fn, 'dout', dout, len);
  floatArg(fn, 'out', out, len);
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'w', w, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'dw', dw, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'db', db, g.f);
  floatArgOrNull(fn, 'dx', dx, g.n * g.c * g.h * g.w);
  const dconv = scratchLike(dout, len);
  reluBackward(dout, out, len, dconv);
  const col = scratchLike(x, colLength(g));
  im2col(x, g, col);
  convBackward(dconv, w, col, g, dw, db, dx);
}
