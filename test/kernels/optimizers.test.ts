// Optimizer updates: two steps of every book optimizer computed by hand (with and without weight
// decay) on both backends, the reference also in double precision, then native against
// reference over many steps on random data.
import test from 'ava';
import type { Backend, FloatArray } from '../../lib/backend/types';
import { eachBackend, nativeVsReference, reference } from '../helpers/backends';
import { assertClose } from '../helpers/compare';
import { Rng, randn32 } from '../helpers/random';
import { TRANSCENDENTAL_TOL } from '../helpers/tolerance';

// Starting point of every hand case: p = [1, −2, 0.5], g = [0.5, 0.25, −1], lr = 0.1 (Adam 0.001),
// momentum 0.9, RMSprop decay 0.99, Adam β1 0.9, β2 0.999; the same g is applied twice. The
// gradient used is g + wd·p with p before the step. Values below were worked out step by step
// from the formulas in lib/backend/types.ts and rounded to 10 significant digits, e.g.
//   SGD, wd 0:       p = 1 − 0.1·0.5 = 0.95, then 0.9.
//   Momentum, wd 0:  v = −0.05, p = 0.95; v = 0.9·(−0.05) − 0.05 = −0.095, p = 0.855.
//   Nesterov, wd 0:  v = −0.05, p = 1 + 0.81·(−0.05) − 1.9·0.05 = 0.8645; v = −0.095,
//                    p = 0.8645 + 0.81·(−0.095) − 0.095 = 0.69255.
//   AdaGrad, wd 0:   h = 0.25, p = 1 − 0.05/0.5 = 0.9; h = 0.5, p = 0.9 − 0.05/√0.5 = 0.8292893519.
//   RMSprop, wd 0:   h = 0.0025, p = 1 − 0.05/0.05 = 0; h = 0.004975, p = −0.05/0.0705336 = −0.7088782.
//   Adam, wd 0, t 1: m = 0.05, v = 0.00025, lrT = 0.001·√0.001/0.1, p = 1 − lrT·0.05/√0.00025 = 0.999.
interface HandCase {
  name: string;
  state: string[];
  step(b: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], wd: number, t: number): void;
  /** expected [p, ...state] after two steps, for wd 0 and wd 0.01 */
  expect: Record<'0' | '0.01', number[][]>;
}

const hand: HandCase[] = [
  {
    name: 'SGD', state: [],
    step: (b, p, g, _s, wd) => b.sgdUpdate(p, g, 3, 0.1, wd),
    expect: { '0': [[0.9, -2.05, 0.7]], '0.01': [[0.898051, -2.045977, 0.6989005]] },
  },
  {
    name: 'Momentum', state: ['v'],
    step: (b, p, g, s, wd) => b.momentumUpdate(p, g, s[0], 3, 0.1, 0.9, wd),
    expect: {
      '0': [[0.855, -2.0725, 0.79], [-0.095, -0.0475, 0.19]],
      '0.01': [[0.852151, -2.066677, 0.7884505], [-0.096849, -0.043677, 0.1889505]],
    },
  },
  {
    name: 'Nesterov', state: ['v'],
    step: (b, p, g, s, wd) => b.nesterovUpdate(p, g, s[0], 3, 0.1, 0.9, wd),
    expect: {
      '0': [[0.69255, -2.153725, 1.1149], [-0.095, -0.0475, 0.19]],
      '0.01': [[0.6867755491, -2.141258086, 1.111094762], [-0.09676179, -0.04363767, 0.188780355]],
    },
  },
  {
    name: 'AdaGrad', state: ['h'],
    step: (b, p, g, s, wd) => b.adaGradUpdate(p, g, s[0], 3, 0.1, wd),
    expect: {
      '0': [[0.8292893519, -2.170710618, 0.6707106631], [0.5, 0.125, 2.0]],
      '0.01': [[0.8293587775, -2.170556392, 0.6706751032], [0.5191810002, 0.1053410002, 1.978061]],
    },
  },
  {
    name: 'RMSprop', state: ['h'],
    step: (b, p, g, s, wd) => b.rmspropUpdate(p, g, s[0], 3, 0.1, 0.99, wd),
    expect: {
      '0': [[-0.7088782, -3.708875195, 2.208879702], [0.004975, 0.00124375, 0.0199]],
      '0.01': [[-0.7018601658, -3.693028107, 2.205308395], [0.005074990196, 0.001007710191, 0.0195034977]],
    },
  },
  {
    name: 'Adam', state: ['m', 'v'],
    step: (b, p, g, s, wd, t) => b.adamUpdate(p, g, s[0], s[1], 3, 0.001, 0.9, 0.999, t, wd),
    expect: {
      '0': [[0.9980000108, -2.001999978, 0.5019999946], [0.095, 0.0475, -0.19], [0.00049975, 0.0001249375, 0.001999]],
      '0.01': [
        [0.9980000111, -2.001999975, 0.5019999943], [0.09689900001, 0.04369900001, -0.189049],
        [0.0005199297002, 0.0001057425002, 0.001979040075],
      ],
    },
  },
];

function twoSteps(b: Backend, c: HandCase, wd: number, make: (v: number[]) => FloatArray): FloatArray[] {
  const p = make([1, -2, 0.5]);
  const g = make([0.5, 0.25, -1]);
  const state = c.state.map(() => make([0, 0, 0]));
  c.step(b, p, g, state, wd, 1);
  c.step(b, p, g, state, wd, 2);
  return [p, ...state];
}

for (const c of hand) {
  for (const wd of ['0', '0.01'] as const) {
    // float32 parameters: a few ulps (6e-8) per operation over two steps; 1e-5 still catches a
    // misplaced eps or a wrong decay (those move the result by 1e-3 or more).
    eachBackend(`${c.name} update, weightDecay ${wd}: two steps by hand (float32)`, (t, b) => {
      const got = twoSteps(b, c, Number(wd), (v) => Float32Array.from(v));
      ['param', ...c.state].forEach((name, i) => assertClose(t, name, got[i], c.expect[wd][i], TRANSCENDENTAL_TOL));
    });
    // In double precision the only error left is the 10-digit rounding of the expected values.
    test(`${c.name} update, weightDecay ${wd}: two steps by hand (reference, float64)`, (t) => {
      const got = twoSteps(reference, c, Number(wd), (v) => Float64Array.from(v));
      ['param', ...c.state].forEach((name, i) => assertClose(t, name, got[i], c.expect[wd][i], 1e-9));
    });
  }
}

nativeVsReference('optimizers: native vs reference over 5 steps on random data', (t, nb, ref, threads) => {
  const rng = new Rng(909 + threads);
  // Odd lengths exercise SIMD tails; 100003 is large enough for any thread split.
  for (const len of [1, 13, 1027, 100003]) {
    for (const wd of [0, 0.05]) {
      // AdaGrad, RMSprop and Adam divide g by a root of its own running square, so a step is
      // ±lr·const whatever |g| is: where g + wd·param nearly cancels, float32 (native) and double
      // (reference) can round it to opposite signs — a rounding difference, not a bug, that a
      // build without FMA (two roundings) hit once in 500,000 elements. Parameters stay in
      // [−1, 1] (they move ≤ 0.5 in 5 steps, RMSprop's ±0.1 at most) and gradients keep |g| ≥ 0.2, so
      // |g + wd·param| ≥ 0.2 − 0.05·1.5 and no such cancellation exists.
      const p0 = randn32(rng, len).map((v) => Math.max(-1, Math.min(1, v)));
      const grads = [0, 1, 2, 3, 4].map(() => randn32(rng, len).map((v) => Math.sign(v || 1) * (0.2 + Math.abs(v))));
      const runs: Array<[string, number, (b: Backend, p: Float32Array, g: Float32Array, s: Float32Array[], t: number) => void]> = [
        ['sgdUpdate', 0, (b, p, g) => b.sgdUpdate(p, g, len, 0.05, wd)],
        ['momentumUpdate', 1, (b, p, g, s) => b.momentumUpdate(p, g, s[0], len, 0.05, 0.9, wd)],
        ['nesterovUpdate', 1, (b, p, g, s) => b.nesterovUpdate(p, g, s[0], len, 0.05, 0.9, wd)],
        ['adaGradUpdate', 1, (b, p, g, s) => b.adaGradUpdate(p, g, s[0], len, 0.05, wd)],
        ['rmspropUpdate', 1, (b, p, g, s) => b.rmspropUpdate(p, g, s[0], len, 0.01, 0.99, wd)],
        ['adamUpdate', 2, (b, p, g, s, step) => b.adamUpdate(p, g, s[0], s[1], len, 0.001, 0.9, 0.999, step, wd)],
      ];
      for (const [name, nState, step] of runs) {
        const ctx = `len ${len}, weightDecay ${wd}, ${threads} thread(s)`;
        const results = [nb, ref].map((b) => {
          const p = p0.slice();
          const s = Array.from({ length: nState }, () => new Float32Array(len));
          grads.forEach((g, k) => step(b, p, g, s, k + 1));
          return [p, ...s];
        });
        results[1].forEach((e, i) => assertClose(t, `${name} ${i === 0 ? 'param' : `state ${i}`}`, results[0][i], e, TRANSCENDENTAL_TOL, ctx));
      }
    }
  }
});
