// Each optimizer against the book's formulas worked by hand in plain JavaScript, over three
// steps (so the state carries over), per parameter name; weight decay; checkpoint resume.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadNative } from '../../lib/backend/native';
import { referenceBackend } from '../../lib/backend/reference';
import type { Backend } from '../../lib/backend/types';
import {
  AdaGrad, Adam, createOptimizer, Momentum, Nesterov, optimizerFromState, RMSprop, SGD, type Optimizer,
} from '../../lib/optimizers';
import { Tensor, type DType } from '../../lib/tensor/tensor';

const P0: Record<string, number[]> = { W1: [0.5, -1.5, 2, 0.25], b1: [0.1, -0.2] };
const SHAPES: Record<string, number[]> = { W1: [2, 2], b1: [2] };
/** Gradients for steps 1..3 (they change sign and size, so momentum and the averages matter). */
const G: Record<string, number[]>[] = [
  { W1: [1, -2, 0.5, 3], b1: [0.4, -0.1] },
  { W1: [-0.5, 1, 2, -1], b1: [0.3, 0.2] },
  { W1: [0.2, 0.2, -3, 1.5], b1: [-1, 0.05] },
];

type Hand = (p: number[], g: number[], s: Record<string, number[]>, t: number) => void;

/** The book's formulas, elementwise, with L2 decay folded into the gradient. */
function handRun(step: Hand, decay: number, steps = 3): Record<string, number[]> {
  const p = { W1: [...P0.W1], b1: [...P0.b1] } as Record<string, number[]>;
  const state: Record<string, Record<string, number[]>> = { W1: {}, b1: {} };
  for (let t = 1; t <= steps; t++) {
    for (const k of ['W1', 'b1']) {
      const g = G[t - 1][k].map((v, i) => v + decay * p[k][i]);
      step(p[k], g, state[k], t);
    }
  }
  return p;
}

const zeros = (n: number) => new Array(n).fill(0);

const HAND: Record<string, (cfg: Record<string, number>) => Hand> = {
  SGD: ({ lr }) => (p, g) => { for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]; },
  Momentum: ({ lr, momentum }) => (p, g, s) => {
    s.v ??= zeros(p.length);
    for (let i = 0; i < p.length; i++) {
      s.v[i] = momentum * s.v[i] - lr * g[i];
      p[i] += s.v[i];
    }
  },
  Nesterov: ({ lr, momentum }) => (p, g, s) => {
    s.v ??= zeros(p.length);
    for (let i = 0; i < p.length; i++) {
      s.v[i] *= momentum;
      s.v[i] -= lr * g[i];
      p[i] += momentum * momentum * s.v[i];
      p[i] -= (1 + momentum) * lr * g[i];
    }
  },
  AdaGrad: ({ lr }) => (p, g, s) => {
    s.h ??= zeros(p.length);
    for (let i = 0; i < p.length; i++) {
      s.h[i] += g[i] * g[i];
      p[i] -= lr * g[i] / (Math.sqrt(s.h[i]) + 1e-7);
    }
  },
  RMSprop: ({ lr, decayRate }) => (p, g, s) => {
    s.h ??= zeros(p.length);
    for (let i = 0; i < p.length; i++) {
      s.h[i] *= decayRate;
      s.h[i] += (1 - decayRate) * g[i] * g[i];
      p[i] -= lr * g[i] / (Math.sqrt(s.h[i]) + 1e-7);
    }
  },
  Adam: ({ lr, beta1, beta2 }) => (p, g, s, t) => {
    s.m ??= zeros(p.length);
    s.v ??= zeros(p.length);
    const lrT = lr * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
    for (let i = 0; i < p.length; i++) {
      s.m[i] += (1 - beta1) * (g[i] - s.m[i]);
      s.v[i] += (1 - beta2) * (g[i] ** 2 - s.v[i]);
      p[i] -= lrT * s.m[i] / (Math.sqrt(s.v[i]) + 1e-7);
    }
  },
};

function params(dtype: DType): Record<string, Tensor> {
  return { W1: Tensor.from(P0.W1, SHAPES.W1, dtype), b1: Tensor.from(P0.b1, SHAPES.b1, dtype) };
}

function grads(step: number, dtype: DType): Record<string, Tensor> {
  return { W1: Tensor.from(G[step].W1, SHAPES.W1, dtype), b1: Tensor.from(G[step].b1, SHAPES.b1, dtype) };
}

function run(opt: Optimizer, dtype: DType, from = 0, to = 3, p = params(dtype)): Record<string, Tensor> {
  for (let s = from; s < to; s++) opt.update(p, grads(s, dtype));
  return p;
}

interface Case { name: string; make: (o: object) => Optimizer; defaults: Record<string, number>; custom: Record<string, number>; }

const CASES: Case[] = [
  { name: 'SGD', make: (o) => new SGD(o), defaults: { lr: 0.01 }, custom: { lr: 0.1 } },
  { name: 'Momentum', make: (o) => new Momentum(o), defaults: { lr: 0.01, momentum: 0.9 }, custom: { lr: 0.1, momentum: 0.8 } },
  { name: 'Nesterov', make: (o) => new Nesterov(o), defaults: { lr: 0.01, momentum: 0.9 }, custom: { lr: 0.1, momentum: 0.7 } },
  { name: 'AdaGrad', make: (o) => new AdaGrad(o), defaults: { lr: 0.01 }, custom: { lr: 0.5 } },
  { name: 'RMSprop', make: (o) => new RMSprop(o), defaults: { lr: 0.01, decayRate: 0.99 }, custom: { lr: 0.05, decayRate: 0.9 } },
  { name: 'Adam', make: (o) => new Adam(o), defaults: { lr: 0.001, beta1: 0.9, beta2: 0.999 }, custom: { lr: 0.1, beta1: 0.8, beta2: 0.99 } },
];

function assertParams(t: ExecutionContext, got: Record<string, Tensor>, want: Record<string, number[]>, tol: number, what: string): void {
  for (const k of ['W1', 'b1']) {
    const g = [...got[k].data];
    const worst = Math.max(...g.map((v, i) => Math.abs(v - want[k][i]) / (1 + Math.abs(want[k][i]))));
    t.true(worst <= tol, `${what} ${k}: got ${g}, expected ${want[k]} (worst ${worst.toExponential(2)})`);
  }
}

// Float64 on the reference backend computes the same double formulas as the hand version, only
// grouped differently: agreement to 1e-13 (a few hundred ulps of the O(1) values) is exact.
const F64_TOL = 1e-13;

for (const c of CASES) {
  test(`${c.name}: defaults are the book's and three steps match the hand computation`, (t) => {
    const opt = c.make({ backend: referenceBackend });
    t.deepEqual(opt.config, { ...c.defaults, weightDecay: 0 });
    assertParams(t, run(opt, 'float64'), handRun(HAND[c.name](c.defaults), 0), F64_TOL, `${c.name} defaults`);
    t.is(opt.t, 3);
  });

  test(`${c.name}: custom settings and weightDecay`, (t) => {
    const opt = c.make({ ...c.custom, weightDecay: 0.1, backend: referenceBackend });
    const want = handRun(HAND[c.name](c.custom), 0.1);
    assertParams(t, run(opt, 'float64'), want, F64_TOL, `${c.name} with decay`);
    const plain = handRun(HAND[c.name](c.custom), 0);
    t.notDeepEqual(want, plain, 'decay changes the result');
  });

  test(`${c.name}: getState/setState resumes exactly (also through createOptimizer and a fresh instance)`, (t) => {
    const a = c.make({ ...c.custom, backend: referenceBackend });
    const p = run(a, 'float64', 0, 2);
    const state = a.getState();
    t.is(state.name, c.name);
    t.is(state.t, 2);
    const slots = c.name === 'SGD' ? [] : c.name === 'Adam' ? ['m', 'v'] : c.name.includes('Grad') || c.name === 'RMSprop' ? ['h'] : ['v'];
    t.deepEqual(Object.keys(state.tensors).sort(), slots.flatMap((s) => [`${s}.W1`, `${s}.b1`]).sort());
    // The state is a copy: continuing to train does not change it.
    const snapshot = Object.fromEntries(Object.entries(state.tensors).map(([k, v]) => [k, [...v.data]]));
    const pa = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.clone()]));
    run(a, 'float64', 2, 3, pa);
    for (const [k, v] of Object.entries(state.tensors)) t.deepEqual([...v.data], snapshot[k], `${k} unchanged`);
    // A new optimizer with default settings takes everything from the state.
    const b = createOptimizer(c.name.toLowerCase(), { backend: referenceBackend });
    b.setState(state);
    t.deepEqual(b.config, a.config);
    const pb = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.clone()]));
    run(b, 'float64', 2, 3, pb);
    for (const k of ['W1', 'b1']) t.deepEqual([...pb[k].data], [...pa[k].data], `${k} after resume`);
    const c2 = optimizerFromState(state);
    t.is(c2.name, c.name);
    t.is(c2.t, 2);
  });
}

test('state is created once per parameter name: later updates allocate no typed arrays', (t) => {
  const opt = new Adam({ backend: referenceBackend });
  const p = params('float64');
  opt.update(p, grads(0, 'float64'));
  const g1 = grads(1, 'float64');
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = g.Float64Array;
  let allocations = 0;
  g.Float64Array = new Proxy(saved as new (...a: unknown[]) => unknown, {
    construct(target, args, newTarget) {
      if (/[\\/]lib[\\/]optimizers[\\/]/.test(new Error().stack ?? '')) allocations++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    for (let i = 0; i < 3; i++) opt.update(p, g1);
  } finally {
    g.Float64Array = saved;
  }
  t.is(allocations, 0);
  // A parameter seen for the first time gets its own state, named after it.
  opt.update({ W2: Tensor.from([1, 2], [2], 'float64') }, { W2: Tensor.from([0.5, 0.5], [2], 'float64') });
  t.deepEqual(Object.keys(opt.getState().tensors).sort(), ['m.W1', 'm.W2', 'm.b1', 'v.W1', 'v.W2', 'v.b1']);
  t.is(opt.t, 5);
});

test('createOptimizer: case-insensitive names, the book typo rmsprpo, errors list the valid names and options', (t) => {
  t.true(createOptimizer('SGD') instanceof SGD);
  t.true(createOptimizer('AdaGrad') instanceof AdaGrad);
  t.true(createOptimizer('rmsprpo') instanceof RMSprop);
  t.true(createOptimizer('RMSprop', { decayRate: 0.9 }) instanceof RMSprop);
  t.is(createOptimizer('adam', { lr: 0.01 }).config.lr, 0.01);
  t.throws(() => createOptimizer('adamw'), { message: /unknown optimizer "adamw". Valid names \(any case\): sgd, momentum, nesterov, adagrad, rmsprop, adam/ });
  t.throws(() => createOptimizer('momentum', { lr: 0.1, beta1: 0.9 }), { message: /Momentum: unknown option 'beta1'. Allowed options: lr, momentum, weightDecay, backend/ });
  t.throws(() => new SGD({ lr: -1 }), { message: /lr must be a number in \[0, ∞\], received -1/ });
  t.throws(() => new Momentum({ momentum: 1 }), { message: /momentum must be a number in \[0, 1\)/ });
});

test('update checks each gradient against its parameter', (t) => {
  const opt = new SGD({ backend: referenceBackend });
  const p = params('float64');
  t.throws(() => opt.update(p, { W1: Tensor.zeros([4], 'float64'), b1: Tensor.zeros([2], 'float64') }),
    { message: /SGD.update: parameter 'W1' is \(2, 2\) but its gradient is \(4\)/ });
  t.throws(() => opt.update(p, { W1: Tensor.zeros([2, 2], 'float64') }), { message: /no gradient for parameter 'b1'/ });
  t.throws(() => opt.update(p, grads(0, 'float32')), { message: /'W1' is float64 but its gradient is float32/ });
  const adam = new Adam({ backend: referenceBackend });
  adam.update(p, grads(0, 'float64'));
  const state = adam.getState();
  const other = new Adam({ backend: referenceBackend });
  other.setState(state);
  t.throws(() => other.update({ W1: Tensor.zeros([3], 'float64') }, { W1: Tensor.zeros([3], 'float64') }),
    { message: /saved state 'm.W1' has 4 values but parameter 'W1' \(3\) has 3/ });
  t.throws(() => new Momentum().setState(state), { message: /saved by optimizer 'Adam', not Momentum/ });
  t.throws(() => new Adam().setState({ ...state, tensors: { 'h.W1': Tensor.zeros([4]) } }), { message: /unexpected state tensor 'h.W1'/ });
});

// float32 with the default backend (native when it loads): the same steps in single precision.
// Each step is a few float32 operations per element on O(1) values (ε = 6e-8); sqrt and the
// division by √h + 1e-7 add a few ulps; three steps of that stay below 1e-5 relative.
const F32_TOL = 1e-5;
const nb: Backend | null = loadNative().backend;
for (const c of CASES) {
  const title = `${c.name}: float32 on the native backend matches the hand computation`;
  if (!nb) {
    test.skip(`${title} — SKIPPED, native backend not loaded: ${loadNative().error?.split('\n')[0]}`, () => undefined);
    continue;
  }
  test(title, (t) => {
    const opt = c.make({ ...c.custom, weightDecay: 0.05, backend: nb });
    assertParams(t, run(opt, 'float32'), handRun(HAND[c.name](c.custom), 0.05), F32_TOL, `${c.name} float32`);
  });
}
