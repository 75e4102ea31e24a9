// A run of fused blocks for inference, written as the definition: each layer's reference kernel
// over the whole batch, one after another, through buffers of the layer outputs. The native
// kernel goes image by image instead; the values are the same.
import { MAX_CHAIN_LAYERS, type ChainLayer, type ConvGeometry, type FloatArray, type PoolGeometry } from '../types';
import { convGeometryArg, describe, floatArg, poolGeometryArg } from './check';
import { convReluForward } from './conv_relu';
import { checkPoolOfConv, convReluPoolForward } from './conv_relu_pool';

/** The (n, c, h, w) a checked layer writes. */
function outputShape(g: ConvGeometry, p: PoolGeometry | null): [number, number, number, number] {
  return p ? [p.n, p.c, p.oh, p.ow] : [g.n, g.f, g.oh, g.ow];
}

export function convChainForward(x: FloatArray, layers: readonly ChainLayer[], out: FloatArray): void {
  const fn = 'convChainForward';
  if (!Array.isArray(layers)) {
    throw new TypeError(`${fn}: expected an Array of layers ({ w, b, g, p }) for 'layers' (argument 2) but received ${describe(layers)}`);
  }
  if (layers.length < 1 || layers.length > MAX_CHAIN_LAYERS) {
    throw new RangeError(`${fn}: 'layers' must hold 1 to ${MAX_CHAIN_LAYERS} layers, received ${layers.length}` +
      (layers.length > MAX_CHAIN_LAYERS ? '. Fix: run the layers in several calls.' : '.'));
  }
  const checked: Array<{ w: FloatArray; b: FloatArray; g: ConvGeometry; p: PoolGeometry | null }> = [];
  for (let s = 0; s < layers.length; s++) {
    const where = `layers[${s}]`;
    const l = layers[s] as unknown;
    if (typeof l !== 'object' || l === null || Array.isArray(l) || ArrayBuffer.isView(l)) {
      throw new TypeError(`${fn}: expected an object { w, b, g, p } for ${where} but received ${describe(l)}`);
    }
    const { w, b, g: g0, p: p0 } = l as ChainLayer;
    const g = convGeometryArg(fn, `${where}.g`, g0);
    const p = p0 === null || p0 === undefined ? null : poolGeometryArg(fn, `${where}.p`, p0);
    if (p) checkPoolOfConv(fn, g, p, where);
    floatArg(fn, `${where}.w`, w, g.f * g.c * g.kh * g.kw);
    floatArg(fn, `${where}.b`, b, g.f);
    if (s > 0) {
      const prev = checked[s - 1];
      const [n, c, h, wd] = outputShape(prev.g, prev.p);
      if (g.n !== n || g.c !== c || g.h !== h || g.w !== wd) {
        throw new RangeError(`${fn}: ${where} must read what layers[${s - 1}] writes, (${n}, ${c}, ${h}, ${wd}), but its g ` +
          `describes an input of (${g.n}, ${g.c}, ${g.h}, ${g.w}). Fix: pass consecutive layers of one network, each geometry built for the same batch.`);
      }
    }
    checked.push({ w, b, g, p });
  }
  const first = checked[0].g;
  floatArg(fn, 'x', x, first.n * first.c * first.h * first.w);
  const last = checked[checked.length - 1];
  floatArg(fn, 'out', out, outputShape(last.g, last.p).reduce((a, d) => a * d, 1));
  const F = out instanceof Float32Array ? Float32Array : Float64Array;
  let src: FloatArray = x;
  for (let s = 0; s < checked.length; s++) {
    const { w, b, g, p } = checked[s];
    const dst = s + 1 === checked.length ? out : new F(outputShape(g, p).reduce((a, d) => a * d, 1));
    if (p) convReluPoolForward(src, w, b, g, p, dst, null);
    else convReluForward(src, w, b, g, dst);
    src = dst;
  }
}
