// Convolution → Relu → max Pooling as one kernel, written as the definition: each image goes
// through the reference convolution and pooling, and the Relu is applied to the pooled values
// (max pooling commutes with it). Backward visits only the windows the Relu lets through.
import type { ConvGeometry, FloatArray, PoolGeometry } from '../types';
import { convGeometryArg, floatArg, floatArgOrNull, int32Arg, poolGeometryArg } from './check';
import { reluForward } from './activation';
import { convForward } from './convolution';
import { poolForward } from './pooling';

export function checkPoolOfConv(fn: string, g: ConvGeometry, p: PoolGeometry, where = ''): void {
  const pairs: Array<[string, number, string, number]> = [
    ['p.n', p.n, 'g.n', g.n], ['p.c', p.c, 'g.f', g.f], ['p.h', p.h, 'g.oh', g.oh], ['p.w', p.w, 'g.ow', g.ow],
  ];
  const at = where === '' ? '' : `${where}.`;
  for (const [pf, pv, gf, gv] of pairs) {
    if (pv !== gv) {
      throw new RangeError(`${fn}: the pooling geometry must describe the convolution's output, but ${at}${pf} is ${pv} and ${at}${gf} is ${gv}. ` +
        'Fix: build p from (g.n, g.f, g.oh, g.ow).');
    }
  }
}

export function convReluPoolForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, p: PoolGeometry,
  out: FloatArray, argmax: Int32Array | null): void {
  const fn = 'convReluPoolForward';
  g = convGeometryArg(fn, 'g', g);
  p = poolGeometryArg(fn, 'p', p);
  checkPoolOfConv(fn, g, p);
  const pooled = p.n * p.c * p.oh * p.ow;
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'w', w, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'b', b, g.f);
  floatArg(fn, 'out', out, pooled);
  if (argmax !== null) int32Arg(fn, 'argmax', argmax, pooled);
  // One image at a time through the reference convolution, pooling and Relu: the definition
  // is the three layers' kernels, with the convolution map of one image as the only buffer.
  const opix = g.oh * g.ow;
  const F = out instanceof Float32Array ? Float32Array : Float64Array;
  const conv = new F(g.f * opix);
  const col = new F(g.c * g.kh * g.kw * opix);
  const one: ConvGeometry = { ...g, n: 1 };
  const onePool: PoolGeometry = { ...p, n: 1 };
  const inSize = g.c * g.h * g.w;
  const outSize = p.c * p.oh * p.ow;
  // Inference (argmax null): the winners of one image, thrown away.
  const scratch = argmax === null ? new Int32Array(outSize) : null;
  for (let n = 0; n < g.n; n++) {
    const o = out.subarray(n * outSize, (n + 1) * outSize);
    convForward(x.subarray(n * inSize, (n + 1) * inSize), w, b, one, conv, col);
    poolForward(conv, onePool, o, scratch ?? argmax!.subarray(n * outSize, (n + 1) * outSize));
    reluForward(o, outSize, o);
  }
}

export function convReluPoolBackward(dout: FloatArray, out: FloatArray, argmax: Int32Array, x: FloatArray, w: FloatArray,
  g: ConvGeometry, p: PoolGeometry, dw: FloatArray, db: FloatArray, dx: FloatArray | null): void {
  const fn = 'convReluPoolBackward';
  g = convGeometryArg(fn, 'g', g);
  p = poolGeometryArg(fn, 'p', p);
  checkPoolOfConv(fn, g, p);
  const pooled = p.n * p.c * p.oh * p.ow;
  floatArg(fn, 'dout', dout, pooled);
  floatArg(fn, 'out', out, pooled);
  int32Arg(fn, 'argmax', argmax, pooled);
  floatArg(fn, 'x', x, g.n * g.c * g.h * g.w);
  floatArg(fn, 'w', w, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'dw', dw, g.f * g.c * g.kh * g.kw);
  floatArg(fn, 'db', db, g.f);
  floatArgOrNull(fn, 'dx', dx, g.n * g.c * g.h * g.w);
  const plane = g.oh * g.ow;
  // Checked before any output is touched, so a bad argmax leaves them as they were.
  for (let i = 0; i < pooled; i++) {
    if (argmax[i] < 0 || argmax[i] >= plane) {
      throw new RangeError(`${fn}: 'argmax' must hold indices in [0, ${plane}) (g.oh·g.ow), but argmax[${i}] is ${argmax[i]}. ` +
        'Fix: pass the argmax that convReluPoolForward wrote for the same geometry.');
    }
  }
  // Sums run in double (one rounding per output, as every reference kernel).
  const ckk = g.c * g.kh * g.kw;
  const pplane = p.oh * p.ow;
  const inSize = g.c * g.h * g.w;
  const dw64 = new Float64Array(g.f * ckk);
  const db64 = new Float64Array(g.f);
  const dx64 = new Float64Array(dx ? inSize : 0);
  for (let n = 0; n < g.n; n++) {
    dx64.fill(0);
    for (let f = 0; f < g.f; f++) {
      for (let k = 0; k < pplane; k++) {
        const q = (n * g.f + f) * pplane + k;
        if (!(out[q] > 0)) continue; // the Relu passes no gradient
        const d = dout[q];
        const oi = Math.floor(argmax[q] / g.ow);
        const oj = argmax[q] % g.ow;
        db64[f] += d;
        for (let ci = 0; ci < g.c; ci++) {
          for (let ki = 0; ki < g.kh; ki++) {
            const ii = oi * g.stride - g.pad + ki;
            if (ii < 0 || ii >= g.h) continue;
            for (let kj = 0; kj < g.kw; kj++) {
              const jj = oj * g.stride - g.pad + kj;
              if (jj < 0 || jj >= g.w) continue;
              const wi = ((f * g.c + ci) * g.kh + ki) * g.kw + kj;
              const xi = (ci * g.h + ii) * g.w + jj;
              dw64[wi] += d * x[n * inSize + xi];
              if (dx) dx64[xi] += d * w[wi];
            }
          }
        }
      }
    }
    if (dx) dx.set(dx64, n * inSize);
  }
  dw.set(dw64);
  db.set(db64);
}
