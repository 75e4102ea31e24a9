// Hostile-argument battery for the kernel exports: every argument of every function is replaced,
// one at a time, by values of the wrong type, wrong length, out-of-range or inconsistent sizes,
// and the call must throw a TypeError or RangeError naming the function and the argument. The
// table below is the list of exports the suite knows; hostile.test.ts fails when the addon
// exports anything not in it, so a new kernel cannot ship without hostile tests.
// Plain module (no ava import) so a child process can run the same battery.

type AnyFn = (...args: unknown[]) => unknown;
export type Kernels = Record<string, unknown>;

type Kind =
  | { kind: 'f32' }
  | { kind: 'f32OrNull' }
  /** orNull: null is allowed (convReluPoolForward's argmax in inference). */
  | { kind: 'i32'; argmaxPlane?: number; orNull?: boolean }
  /** An Int32Array of row numbers (any length; entries in [0, count)), or null. */
  | { kind: 'rows'; count: number }
  | { kind: 'u8' }
  | { kind: 'int'; min: number; max?: number; size: boolean }
  | { kind: 'num'; outOfRange: number[] }
  | { kind: 'bool' }
  | { kind: 'conv' }
  | { kind: 'pool' }
  | { kind: 'bn' }
  | { kind: 'labels'; k: number }
  /** convChainForward's layers: an Array of { w, b, g, p } whose shapes follow from one to the next. */
  | { kind: 'chain' }
  | { kind: 'enum'; valid: string };

export interface ArgSpec { name: string; type: Kind; }

export interface ExportSpec {
  /** Arguments in call order; empty for functions that take none. */
  args: ArgSpec[];
  /** A fresh, valid argument list (arrays are new each time, so mutating one case cannot leak). */
  valid(addon: Kernels): unknown[];
}

const f32 = (name: string): ArgSpec => ({ name, type: { kind: 'f32' } });
const size = (name: string, min: number): ArgSpec => ({ name, type: { kind: 'int', min, size: true } });
const num = (name: string, outOfRange: number[] = []): ArgSpec => ({ name, type: { kind: 'num', outOfRange } });
const rate = (name: string) => num(name, [-0.5]);
const fraction = (name: string) => num(name, [-0.1, 1.5]);

const Z = (n: number) => new Float32Array(n);
const conv = () => ({ n: 2, c: 2, h: 5, w: 4, f: 3, kh: 3, kw: 2, stride: 1, pad: 1, oh: 5, ow: 5 });
const CONV = { x: 2 * 2 * 5 * 4, w: 3 * 2 * 3 * 2, b: 3, out: 2 * 3 * 5 * 5, col: 2 * 2 * 3 * 2 * 5 * 5 };
const pool = () => ({ n: 2, c: 2, h: 4, w: 5, ph: 2, pw: 3, stride: 1, pad: 1, oh: 5, ow: 5 });
const POOL = { x: 2 * 2 * 4 * 5, out: 2 * 2 * 5 * 5, plane: 4 * 5 };
// The pooling of conv()'s output (2, 3, 5, 5): 2×3 windows, stride 1, pad 1.
const convPool = () => ({ n: 2, c: 3, h: 5, w: 5, ph: 2, pw: 3, stride: 1, pad: 1, oh: 6, ow: 5 });
const CONV_POOL = { out: 2 * 3 * 6 * 5, plane: 5 * 5 };
// A run of two layers: conv() pooled by convPool() (2, 3, 6, 5), then 2 filters 3 × 3, pad 1.
const chainLayers = () => [
  { w: Z(CONV.w), b: Z(CONV.b), g: conv(), p: convPool() },
  { w: Z(2 * 3 * 3 * 3), b: Z(2), g: { n: 2, c: 3, h: 6, w: 5, f: 2, kh: 3, kw: 3, stride: 1, pad: 1, oh: 6, ow: 5 }, p: null },
];
const CHAIN_OUT = 2 * 2 * 6 * 5;
const bn = () => ({ n: 3, c: 2, s: 4 });
const BN = { len: 3 * 2 * 4, c: 2 };
const L = 37;

export const SPECS: Record<string, ExportSpec> = {
  setNumThreads: {
    args: [{ name: 'n', type: { kind: 'int', min: 1, max: 256, size: false } }],
    // The current count, so the battery never resizes the pool.
    valid: (a) => [(a.getNumThreads as AnyFn)()],
  },
  getNumThreads: { args: [], valid: () => [] },
  // Native only: which SGEMM convolution and affine use.
  setGemm: { args: [{ name: 'name', type: { kind: 'enum', valid: 'auto' } }], valid: () => ['auto'] },
  info: { args: [], valid: () => [] },
  // Native only: the FMA peak benchmark (seconds of measurement).
  fmaPeak: { args: [num('seconds', [0, 0.001, 61, -1])], valid: () => [0.01] },
  im2col: {
    args: [f32('x'), { name: 'g', type: { kind: 'conv' } }, f32('col')],
    valid: () => [Z(CONV.x), conv(), Z(CONV.col)],
  },
  col2im: {
    args: [f32('col'), { name: 'g', type: { kind: 'conv' } }, f32('dx')],
    valid: () => [Z(CONV.col), conv(), Z(CONV.x)],
  },
  convForward: {
    args: [f32('x'), f32('w'), f32('b'), { name: 'g', type: { kind: 'conv' } }, f32('out'), f32('col')],
    valid: () => [Z(CONV.x), Z(CONV.w), Z(CONV.b), conv(), Z(CONV.out), Z(CONV.col)],
  },
  convBackward: {
    args: [f32('dout'), f32('w'), f32('col'), { name: 'g', type: { kind: 'conv' } }, f32('dw'), f32('db'),
      { name: 'dx', type: { kind: 'f32OrNull' } }],
    valid: () => [Z(CONV.out), Z(CONV.w), Z(CONV.col), conv(), Z(CONV.w), Z(CONV.b), Z(CONV.x)],
  },
  convReluPoolForward: {
    args: [f32('x'), f32('w'), f32('b'), { name: 'g', type: { kind: 'conv' } }, { name: 'p', type: { kind: 'pool' } },
      f32('out'), { name: 'argmax', type: { kind: 'i32', orNull: true } }],
    valid: () => [Z(CONV.x), Z(CONV.w), Z(CONV.b), conv(), convPool(), Z(CONV_POOL.out), new Int32Array(CONV_POOL.out)],
  },
  convReluPoolBackward: {
    args: [f32('dout'), f32('out'), { name: 'argmax', type: { kind: 'i32', argmaxPlane: CONV_POOL.plane } }, f32('x'), f32('w'),
      { name: 'g', type: { kind: 'conv' } }, { name: 'p', type: { kind: 'pool' } }, f32('dw'), f32('db'),
      { name: 'dx', type: { kind: 'f32OrNull' } }],
    valid: () => [Z(CONV_POOL.out), Z(CONV_POOL.out), new Int32Array(CONV_POOL.out), Z(CONV.x), Z(CONV.w), conv(), convPool(),
      Z(CONV.w), Z(CONV.b), Z(CONV.x)],
  },
  convChainForward: {
    args: [f32('x'), { name: 'layers', type: { kind: 'chain' } }, f32('out')],
    valid: () => [Z(CONV.x), chainLayers(), Z(CHAIN_OUT)],
  },
  convReluForward: {
    args: [f32('x'), f32('w'), f32('b'), { name: 'g', type: { kind: 'conv' } }, f32('out')],
    valid: () => [Z(CONV.x), Z(CONV.w), Z(CONV.b), conv(), Z(CONV.out)],
  },
  convReluBackward: {
    args: [f32('dout'), f32('out'), f32('x'), f32('w'), { name: 'g', type: { kind: 'conv' } }, f32('dw'), f32('db'),
      { name: 'dx', type: { kind: 'f32OrNull' } }],
    valid: () => [Z(CONV.out), Z(CONV.out), Z(CONV.x), Z(CONV.w), conv(), Z(CONV.w), Z(CONV.b), Z(CONV.x)],
  },
  affineForward: {
    args: [f32('x'), f32('w'), f32('b'), size('n', 1), size('d', 1), size('m', 1), f32('out')],
    valid: () => [Z(3 * 4), Z(4 * 5), Z(5), 3, 4, 5, Z(3 * 5)],
  },
  affineBackward: {
    args: [f32('dout'), f32('x'), f32('w'), size('n', 1), size('d', 1), size('m', 1), f32('dw'), f32('db'),
      { name: 'dx', type: { kind: 'f32OrNull' } }],
    valid: () => [Z(3 * 5), Z(3 * 4), Z(4 * 5), 3, 4, 5, Z(4 * 5), Z(5), Z(3 * 4)],
  },
  poolForward: {
    args: [f32('x'), { name: 'g', type: { kind: 'pool' } }, f32('out'), { name: 'argmax', type: { kind: 'i32' } }],
    valid: () => [Z(POOL.x), pool(), Z(POOL.out), new Int32Array(POOL.out)],
  },
  poolBackward: {
    args: [f32('dout'), { name: 'argmax', type: { kind: 'i32', argmaxPlane: POOL.plane } },
      { name: 'g', type: { kind: 'pool' } }, f32('dx')],
    valid: () => [Z(POOL.out), new Int32Array(POOL.out), pool(), Z(POOL.x)],
  },
  reluForward: { args: [f32('x'), size('len', 0), f32('out')], valid: () => [Z(L), L, Z(L)] },
  reluBackward: { args: [f32('dout'), f32('out'), size('len', 0), f32('dx')], valid: () => [Z(L), Z(L), L, Z(L)] },
  sigmoidForward: { args: [f32('x'), size('len', 0), f32('out')], valid: () => [Z(L), L, Z(L)] },
  sigmoidBackward: { args: [f32('dout'), f32('out'), size('len', 0), f32('dx')], valid: () => [Z(L), Z(L), L, Z(L)] },
  softmaxCrossEntropyForward: {
    args: [f32('x'), { name: 'labels', type: { kind: 'labels', k: 5 } }, size('n', 1), size('k', 1), f32('probs')],
    valid: () => [Z(4 * 5), Int32Array.from([0, 4, 2, 1]), 4, 5, Z(4 * 5)],
  },
  softmaxCrossEntropyBackward: {
    args: [f32('probs'), { name: 'labels', type: { kind: 'labels', k: 5 } }, size('n', 1), size('k', 1), num('scale'),
      f32('dx')],
    valid: () => [Z(4 * 5), Int32Array.from([0, 4, 2, 1]), 4, 5, 0.25, Z(4 * 5)],
  },
  dropoutForward: {
    args: [f32('x'), size('len', 0), fraction('ratio'),
      { name: 'seed', type: { kind: 'int', min: 0, max: 0xffffffff, size: false } },
      { name: 'counter', type: { kind: 'int', min: 0, max: 0xffffffff, size: false } },
      f32('out'), { name: 'mask', type: { kind: 'u8' } }],
    valid: () => [Z(L), L, 0.5, 42, 7, Z(L), new Uint8Array(L)],
  },
  dropoutBackward: {
    args: [f32('dout'), { name: 'mask', type: { kind: 'u8' } }, size('len', 0), f32('dx')],
    valid: () => [Z(L), new Uint8Array(L), L, Z(L)],
  },
  batchNormForward: {
    args: [f32('x'), f32('gamma'), f32('beta'), { name: 'g', type: { kind: 'bn' } }, { name: 'train', type: { kind: 'bool' } },
      fraction('momentum'), num('eps', [0, -1e-5]), f32('runningMean'), f32('runningVar'), f32('out'), f32('xhat'),
      f32('invStd')],
    valid: () => [Z(BN.len), Z(BN.c), Z(BN.c), bn(), true, 0.9, 1e-5, Z(BN.c), Z(BN.c), Z(BN.len), Z(BN.len), Z(BN.c)],
  },
  batchNormBackward: {
    args: [f32('dout'), f32('xhat'), f32('gamma'), f32('invStd'), { name: 'g', type: { kind: 'bn' } }, f32('dx'),
      f32('dgamma'), f32('dbeta')],
    valid: () => [Z(BN.len), Z(BN.len), Z(BN.c), Z(BN.c), bn(), Z(BN.len), Z(BN.c), Z(BN.c)],
  },
  gatherBytes: {
    args: [{ name: 'src', type: { kind: 'u8' } }, size('rowLength', 1), { name: 'rows', type: { kind: 'rows', count: 3 } },
      { name: 'start', type: { kind: 'int', min: 0, size: false } }, { name: 'end', type: { kind: 'int', min: 0, size: false } },
      num('divisor', [0, -1]), f32('out')],
    // entries 1..2 of rows [2, 0, 1] (the last one is used): source rows 0 and 1, 4 bytes each
    valid: () => [new Uint8Array(12), 4, Int32Array.from([2, 0, 1]), 1, 3, 255, Z(8)],
  },
  augmentBytes: {
    args: [{ name: 'src', type: { kind: 'u8' } }, size('c', 1), size('h', 1), size('w', 1),
      { name: 'rows', type: { kind: 'rows', count: 3 } },
      { name: 'start', type: { kind: 'int', min: 0, size: false } }, { name: 'end', type: { kind: 'int', min: 0, size: false } },
      num('divisor', [0, -1]), f32('affine'), f32('taps'), num('alpha', [-1]),
      { name: 'key', type: { kind: 'int', min: 0, max: 0xffffffff, size: false } }, f32('out')],
    // Three 1×3×4 images; entries 1..2 of rows [2, 0, 1]; a 5-tap elastic kernel (an odd count:
    // the battery's one-longer and one-shorter taps are even, so refused).
    valid: () => [new Uint8Array(36), 1, 3, 4, Int32Array.from([2, 0, 1]), 1, 3, 255,
      Float32Array.of(1, 0, 0, 0, 1, 0, 1, 0, 0.5, 0, 1, -0.5), Float32Array.of(0.1, 0.2, 0.4, 0.2, 0.1), 3, 7, Z(24)],
  },
  axpy: { args: [num('alpha'), f32('x'), f32('y'), size('len', 0)], valid: () => [0.5, Z(L), Z(L), L] },
  scale: { args: [f32('x'), num('alpha'), size('len', 0), f32('out')], valid: () => [Z(L), 0.5, L, Z(L)] },
  sgdUpdate: {
    args: [f32('param'), f32('grad'), size('len', 0), rate('lr'), rate('weightDecay')],
    valid: () => [Z(L), Z(L), L, 0.1, 0],
  },
  momentumUpdate: {
    args: [f32('param'), f32('grad'), f32('v'), size('len', 0), rate('lr'), fraction('momentum'), rate('weightDecay')],
    valid: () => [Z(L), Z(L), Z(L), L, 0.1, 0.9, 0],
  },
  nesterovUpdate: {
    args: [f32('param'), f32('grad'), f32('v'), size('len', 0), rate('lr'), fraction('momentum'), rate('weightDecay')],
    valid: () => [Z(L), Z(L), Z(L), L, 0.1, 0.9, 0],
  },
  adaGradUpdate: {
    args: [f32('param'), f32('grad'), f32('h'), size('len', 0), rate('lr'), rate('weightDecay')],
    valid: () => [Z(L), Z(L), Z(L), L, 0.1, 0],
  },
  rmspropUpdate: {
    args: [f32('param'), f32('grad'), f32('h'), size('len', 0), rate('lr'), fraction('decayRate'), rate('weightDecay')],
    valid: () => [Z(L), Z(L), Z(L), L, 0.01, 0.99, 0],
  },
  adamUpdate: {
    args: [f32('param'), f32('grad'), f32('m'), f32('v'), size('len', 0), rate('lr'), num('beta1', [1, -0.1, 1.5]),
      num('beta2', [1, -0.1]), { name: 't', type: { kind: 'int', min: 1, size: false } }, rate('weightDecay')],
    valid: () => [Z(L), Z(L), Z(L), Z(L), L, 0.001, 0.9, 0.999, 3, 0],
  },
};

export interface HostileCase {
  fn: string;
  /** What was done, e.g. "'x' ← Float64Array". */
  what: string;
  args: unknown[];
  /** The error class expected ('either' when both are reasonable, e.g. a size that makes arrays too short). */
  expect: 'TypeError' | 'RangeError' | 'either';
  /** Substrings of which the message must contain at least one (the argument's name). */
  names: string[];
}

/** Names as they appear in messages: quoted 'x', or g.kh (quoted or followed by a space). */
function quoted(name: string): string[] {
  return name.includes('.') ? [`'${name}'`, `${name} `] : [`'${name}'`];
}

function sizeOf(v: unknown): number {
  return (v as ArrayLike<number>).length;
}

export interface BatteryOptions {
  /** The reference backend accepts Float64Array wherever a float array is expected. */
  acceptsFloat64: boolean;
}

/** Every hostile case for one export. */
export function hostileCases(fn: string, spec: ExportSpec, addon: Kernels, opt: BatteryOptions): HostileCase[] {
  const cases: HostileCase[] = [];
  const geometryNames = spec.args.filter((a) => ['conv', 'pool', 'bn'].includes(a.type.kind)).map((a) => `${a.name}.`);
  const allNames = spec.args.flatMap((a) => quoted(a.name)).concat(geometryNames);
  const add = (what: string, i: number, value: unknown, expect: HostileCase['expect'], names?: string[]) => {
    const args = spec.valid(addon);
    args[i] = value;
    cases.push({ fn, what, args, expect, names: names ?? quoted(spec.args[i].name) });
  };
  const addField = (i: number, field: string, value: unknown, expect: HostileCase['expect'], names?: string[]) => {
    const args = spec.valid(addon);
    const g = { ...(args[i] as Record<string, unknown>) };
    if (value === DELETE) delete g[field];
    else g[field] = value;
    args[i] = g;
    const obj = spec.args[i].name;
    // names given as 'g.x' refer to this geometry argument, whatever it is called
    const own = names?.map((n) => (n.startsWith('g.') ? `${obj}.${n.slice(2)}` : n));
    cases.push({ fn, what: `${obj}.${field} ← ${show(value)}`, args, expect, names: own ?? quoted(`${obj}.${field}`) });
  };

  // Missing arguments: one too few, and none at all.
  if (spec.args.length > 0) {
    cases.push({ fn, what: `only ${spec.args.length - 1} arguments`, args: spec.valid(addon).slice(0, -1), expect: 'TypeError', names: [fn] });
    cases.push({ fn, what: 'no arguments', args: [], expect: 'TypeError', names: [fn] });
  }

  spec.args.forEach((a, i) => {
    const v = spec.valid(addon)[i];
    const wrongTypes: Array<[string, unknown]> = [['undefined', undefined], ['a string', 'abc'], ['an object', {}]];
    switch (a.type.kind) {
      case 'f32':
      case 'f32OrNull': {
        const len = sizeOf(v);
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← plain Array`, i, Array.from({ length: len }, () => 0), 'TypeError');
        add(`'${a.name}' ← Int32Array`, i, new Int32Array(len), 'TypeError');
        add(`'${a.name}' ← number`, i, 0, 'TypeError');
        if (a.type.kind === 'f32') add(`'${a.name}' ← null`, i, null, 'TypeError');
        if (!opt.acceptsFloat64) add(`'${a.name}' ← Float64Array`, i, new Float64Array(len), 'TypeError');
        add(`'${a.name}' ← Float32Array of ${len + 1}`, i, new Float32Array(len + 1), 'RangeError');
        if (len > 0) add(`'${a.name}' ← Float32Array of ${len - 1}`, i, new Float32Array(len - 1), 'RangeError');
        break;
      }
      case 'i32':
      case 'u8': {
        const len = sizeOf(v);
        const Same = a.type.kind === 'i32' ? Int32Array : Uint8Array;
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← plain Array`, i, Array.from({ length: len }, () => 0), 'TypeError');
        add(`'${a.name}' ← Float32Array`, i, new Float32Array(len), 'TypeError');
        if (a.type.kind === 'u8') add(`'${a.name}' ← Uint8ClampedArray`, i, new Uint8ClampedArray(len), 'TypeError');
        else add(`'${a.name}' ← Uint32Array`, i, new Uint32Array(len), 'TypeError');
        if (!(a.type.kind === 'i32' && a.type.orNull)) add(`'${a.name}' ← null`, i, null, 'TypeError');
        add(`'${a.name}' ← ${Same.name} of ${len + 1}`, i, new Same(len + 1), 'RangeError');
        if (a.type.kind === 'i32' && a.type.argmaxPlane !== undefined) {
          const plane = a.type.argmaxPlane;
          for (const bad of [plane, -1, 2 ** 31 - 1]) {
            const arr = new Int32Array(len);
            arr[len - 1] = bad;
            add(`'${a.name}' holding ${bad} (outside [0, ${plane}))`, i, arr, 'RangeError');
          }
        }
        break;
      }
      case 'rows': {
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← plain Array`, i, [0, 0, 0], 'TypeError');
        add(`'${a.name}' ← Float32Array`, i, new Float32Array(3), 'TypeError');
        add(`'${a.name}' ← Uint32Array`, i, new Uint32Array(3), 'TypeError');
        for (const bad of [a.type.count, -1, 2 ** 31 - 1]) {
          const arr = Int32Array.from(v as Int32Array);
          arr[arr.length - 1] = bad;
          add(`'${a.name}' holding ${bad} (rows are 0 to ${a.type.count - 1})`, i, arr, 'RangeError', [`${a.name}[`]);
        }
        break;
      }
      case 'int': {
        const { min, max, size: isSize } = a.type;
        add(`'${a.name}' ← ${min - 1}`, i, min - 1, 'RangeError');
        for (const bad of [NaN, Infinity, -Infinity, (v as number) + 0.5]) add(`'${a.name}' ← ${bad}`, i, bad, 'RangeError');
        if (max !== undefined) add(`'${a.name}' ← ${max + 1}`, i, max + 1, 'RangeError');
        add(`'${a.name}' ← 2^54`, i, 2 ** 54, 'RangeError', isSize ? allNames : undefined);
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← "3" (a numeric string)`, i, '3', 'TypeError');
        add(`'${a.name}' ← true`, i, true, 'TypeError');
        if (isSize) {
          // A valid integer that disagrees with the arrays: some array must be reported.
          add(`'${a.name}' ← ${(v as number) + 1} (arrays sized for ${v as number})`, i, (v as number) + 1, 'RangeError', allNames);
          // Either an array is reported, or the size product (which no single argument owns).
          add(`'${a.name}' ← 2^30 (arrays sized for ${v as number})`, i, 2 ** 30, 'RangeError', [...allNames, 'the sizes given']);
        }
        break;
      }
      case 'num': {
        for (const bad of [NaN, Infinity, -Infinity, ...a.type.outOfRange]) add(`'${a.name}' ← ${bad}`, i, bad, 'RangeError');
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← "0.5" (a numeric string)`, i, '0.5', 'TypeError');
        add(`'${a.name}' ← null`, i, null, 'TypeError');
        break;
      }
      case 'enum': {
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        // An unknown name: TypeError or RangeError are both fair.
        for (const bad of ['', 'OpenBLAS', `${a.type.valid} `, 'mkl']) add(`'${a.name}' ← ${JSON.stringify(bad)}`, i, bad, 'either');
        add(`'${a.name}' ← 1`, i, 1, 'TypeError');
        break;
      }
      case 'bool': {
        for (const bad of [1, 'true', undefined, null]) add(`'${a.name}' ← ${show(bad)}`, i, bad, 'TypeError');
        break;
      }
      case 'labels': {
        const n = sizeOf(v);
        const k = a.type.k;
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← plain Array`, i, [0, 1, 2, 3], 'TypeError');
        add(`'${a.name}' ← Uint8Array`, i, new Uint8Array(n), 'TypeError');
        if (!opt.acceptsFloat64) add(`'${a.name}' ← Float64Array (one-hot)`, i, new Float64Array(n * k), 'TypeError');
        add(`'${a.name}' ← Int32Array of ${n + 1}`, i, new Int32Array(n + 1), 'RangeError');
        add(`'${a.name}' ← Float32Array of ${n * k - 1} (one-hot needs n·k)`, i, new Float32Array(n * k - 1), 'RangeError');
        add(`'${a.name}' ← Float32Array of ${n} (indices given as floats)`, i, new Float32Array(n), 'RangeError');
        for (const bad of [k, -1, 2 ** 31 - 1]) {
          const arr = Int32Array.from(v as Int32Array);
          arr[n - 1] = bad;
          add(`'${a.name}' holding class ${bad} (k = ${k})`, i, arr, 'RangeError');
        }
        break;
      }
      case 'chain': {
        for (const [w, val] of wrongTypes) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← null`, i, null, 'TypeError');
        add(`'${a.name}' ← Float32Array`, i, new Float32Array(2), 'TypeError');
        add(`'${a.name}' ← []`, i, [], 'RangeError');
        add(`'${a.name}' ← 17 layers`, i, Array.from({ length: 17 }, () => (v as unknown[])[1]), 'RangeError');
        const layers = v as Array<Record<string, unknown>>;
        // One layer of the run changed, the others valid.
        const addLayer = (s: number, what: string, layer: unknown, expect: HostileCase['expect'], names: string[]) => {
          const args = spec.valid(addon);
          const list = [...(args[i] as unknown[])];
          list[s] = layer;
          args[i] = list;
          cases.push({ fn, what: `${a.name}[${s}] ${what}`, args, expect, names });
        };
        layers.forEach((l, s) => {
          const at = `${a.name}[${s}]`;
          for (const [w, val] of [['null', null], ['a number', 3], ['a Float32Array', new Float32Array(3)], ['an Array', []]] as Array<[string, unknown]>) {
            addLayer(s, `← ${w}`, val, 'TypeError', [at]);
          }
          for (const field of ['w', 'b']) {
            const len = sizeOf(l[field]);
            const name = [`'${at}.${field}'`];
            addLayer(s, `.${field} ← missing`, { ...l, [field]: undefined }, 'TypeError', name);
            addLayer(s, `.${field} ← plain Array`, { ...l, [field]: Array.from({ length: len }, () => 0) }, 'TypeError', name);
            addLayer(s, `.${field} ← Int32Array`, { ...l, [field]: new Int32Array(len) }, 'TypeError', name);
            if (!opt.acceptsFloat64) addLayer(s, `.${field} ← Float64Array`, { ...l, [field]: new Float64Array(len) }, 'TypeError', name);
            addLayer(s, `.${field} ← Float32Array of ${len + 1}`, { ...l, [field]: new Float32Array(len + 1) }, 'RangeError', name);
            addLayer(s, `.${field} ← Float32Array of ${len - 1}`, { ...l, [field]: new Float32Array(len - 1) }, 'RangeError', name);
          }
          const g = l.g as Record<string, number>;
          addLayer(s, '.g ← missing', { ...l, g: undefined }, 'TypeError', [`${at}.g`]);
          addLayer(s, '.g ← a Float32Array', { ...l, g: new Float32Array(11) }, 'TypeError', [`${at}.g`]);
          for (const field of Object.keys(g)) {
            const min = field === 'pad' ? 0 : 1;
            addLayer(s, `.g.${field} ← missing`, { ...l, g: { ...g, [field]: undefined } }, 'TypeError', [`${at}.g.${field}`]);
            for (const bad of [min - 1, NaN, g[field] + 0.5]) {
              addLayer(s, `.g.${field} ← ${bad}`, { ...l, g: { ...g, [field]: bad } }, 'RangeError', [`${at}.g.${field}`]);
            }
          }
          addLayer(s, '.g.oh one too many', { ...l, g: { ...g, oh: g.oh + 1 } }, 'RangeError', [`${at}.g.oh`]);
          // Consistent on its own, but not what the neighbouring layers and arrays hold.
          addLayer(s, '.g one row taller', { ...l, g: { ...g, h: g.h + 1, oh: g.oh + 1 } }, 'RangeError',
            [`'x'`, `${a.name}[1] must read`, `'out'`, `${at}.p.h`]);
          addLayer(s, '.g.n = .g.c = 2^24 (a buffer beyond 2^31 elements)', { ...l, g: { ...g, n: 1 << 24, c: 1 << 24 } }, 'RangeError', [fn]);
          const p = l.p as Record<string, number> | null;
          if (p) {
            addLayer(s, '.p ← a string', { ...l, p: 'abc' }, 'TypeError', [`${at}.p`]);
            addLayer(s, '.p.c ← one more than g.f', { ...l, p: { ...p, c: p.c + 1 } }, 'RangeError', [`${at}.p.c`]);
            addLayer(s, '.p.pad ← the window', { ...l, p: { ...p, pad: p.ph } }, 'RangeError', [`${at}.p.pad`]);
          } else {
            // A pooling that reads a map the layer does not make (g.f is 2).
            addLayer(s, '.p ← a pooling of 3 channels', { ...l, p: { n: 2, c: 3, h: g.oh, w: g.ow, ph: 2, pw: 2, stride: 2, pad: 0, oh: 3, ow: 2 } },
              'RangeError', [`${at}.p.c`]);
          }
        });
        break;
      }
      case 'conv':
      case 'pool':
      case 'bn': {
        for (const [w, val] of wrongTypes.slice(0, 2)) add(`'${a.name}' ← ${w}`, i, val, 'TypeError');
        add(`'${a.name}' ← plain Array`, i, [1, 2, 3], 'TypeError');
        add(`'${a.name}' ← Float32Array`, i, new Float32Array(11), 'TypeError');
        add(`'${a.name}' ← null`, i, null, 'TypeError');
        const g = v as Record<string, number>;
        for (const field of Object.keys(g)) {
          const min = field === 'pad' ? 0 : 1;
          addField(i, field, DELETE, 'TypeError');
          addField(i, field, String(g[field]), 'TypeError');
          for (const bad of [min - 1, NaN, Infinity, g[field] + 0.5, 2 ** 54]) addField(i, field, bad, 'RangeError');
        }
        if (a.type.kind === 'bn') {
          // Valid integers that disagree with the arrays.
          addField(i, 'n', g.n + 1, 'RangeError', allNames);
          addField(i, 'c', 1 << 24, 'RangeError', allNames);
          addField(i, 's', 1 << 24, 'RangeError', allNames);
        } else {
          // Inconsistent geometry: oh/ow that do not follow from the sizes.
          addField(i, 'oh', g.oh + 1, 'RangeError', ['g.oh', 'height']);
          addField(i, 'ow', g.ow - 1, 'RangeError', ['g.ow', 'width']);
          // Consistent but sized for other arrays (h + stride keeps (h + 2p − k)/s whole with oh + 1).
          const args = spec.valid(addon);
          args[i] = { ...g, h: g.h + g.stride, oh: g.oh + 1 };
          cases.push({ fn, what: `${a.name}.h and ${a.name}.oh one row taller than the arrays`, args, expect: 'RangeError', names: allNames });
          // Sizes whose buffers would exceed 2^31 elements.
          const huge = spec.valid(addon);
          huge[i] = { ...g, n: 1 << 24, c: 1 << 24 };
          cases.push({ fn, what: `${a.name}.n = ${a.name}.c = 2^24 (a buffer beyond 2^31 elements)`, args: huge, expect: 'RangeError', names: [fn] });
          if (a.type.kind === 'conv') {
            // A stride that does not divide the span: no whole output size exists.
            addField(i, 'stride', 2, 'RangeError', ['height', 'width', 'g.oh', 'g.ow']);
            addField(i, 'kh', g.h + 2 * g.pad + 1, 'RangeError', ['height', 'g.oh']);
          } else {
            addField(i, 'pad', g.ph, 'RangeError', ['g.pad']);
            addField(i, 'ph', g.h + 2 * g.pad + 1, 'RangeError', ['g.pad', 'height', 'g.oh']);
          }
        }
        break;
      }
    }
  });
  return cases;
}

const DELETE = Symbol('delete');

function show(v: unknown): string {
  if (v === DELETE) return '(missing)';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Runs one case; returns null when it threw as required, or what went wrong. */
export function checkCase(addon: Kernels, c: HostileCase): string | null {
  const f = addon[c.fn] as AnyFn;
  let err: unknown = null;
  try {
    f(...c.args);
  } catch (e) {
    err = e;
  }
  const where = `${c.fn} with ${c.what}`;
  if (err === null) return `${where}: did not throw`;
  if (!(err instanceof TypeError) && !(err instanceof RangeError)) {
    return `${where}: threw ${(err as Error)?.constructor?.name ?? typeof err} (${String((err as Error)?.message ?? err)}), expected TypeError or RangeError`;
  }
  const cls = err instanceof TypeError ? 'TypeError' : 'RangeError';
  if (c.expect !== 'either' && cls !== c.expect) return `${where}: threw ${cls} (${err.message}), expected ${c.expect}`;
  if (!err.message.includes(`${c.fn}:`)) return `${where}: message does not name the function: ${err.message}`;
  if (!c.names.some((n) => err instanceof Error && err.message.includes(n))) {
    return `${where}: message names none of ${c.names.join(', ')}: ${err.message}`;
  }
  return null;
}

/** The valid call must succeed, or the hostile cases prove nothing. */
export function checkValid(addon: Kernels, fn: string, spec: ExportSpec): string | null {
  try {
    (addon[fn] as AnyFn)(...spec.valid(addon));
    return null;
  } catch (e) {
    return `${fn}: the valid call of the hostile battery threw ${(e as Error).message}`;
  }
}

/** The whole battery; returns every failure (empty when all passed) and the number of cases run. */
/**
 * One SIMD target's functions as the raw addon exports them: the shared ones (threads) and the
 * target's kernels, without the loader's wrapping.
 */
export function kernelsOf(addon: Kernels, target: string): Kernels {
  const targets = addon.targets as unknown as Record<string, Kernels>;
  const out: Kernels = {};
  for (const [k, v] of Object.entries(addon)) if (typeof v === 'function') out[k] = v;
  return Object.assign(out, targets[target]);
}

export function runBattery(addon: Kernels, opt: BatteryOptions, only?: string[]): { cases: number; failures: string[] } {
  const failures: string[] = [];
  let cases = 0;
  for (const fn of only ?? Object.keys(SPECS)) {
    const spec = SPECS[fn];
    if (typeof addon[fn] !== 'function') {
      failures.push(`${fn}: not a function on this backend`);
      continue;
    }
    const bad = checkValid(addon, fn, spec);
    if (bad) failures.push(bad);
    for (const c of hostileCases(fn, spec, addon, opt)) {
      cases++;
      const r = checkCase(addon, c);
      if (r) failures.push(r);
    }
    if (spec.args.length === 0) {
      // Functions without arguments ignore extras rather than misreading them.
      cases++;
      try {
        (addon[fn] as AnyFn)(undefined, 'abc', NaN, {});
      } catch (e) {
        failures.push(`${fn}: threw on extra arguments: ${(e as Error).message}`);
      }
    }
  }
  return { cases, failures };
}
