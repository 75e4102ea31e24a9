// The book's optimizer updates, in place on param and state. The gradient used is
// g + weightDecay · param (L2 decay, param as it was before this step); eps is 1e-7.
import type { FloatArray } from '../types';
import { floatArg, intArg, numberInRange } from './check';

const EPS = 1e-7;

function common(fn: string, param: FloatArray, grad: FloatArray, len: number, lr: number, weightDecay: number): void {
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'param', param, len);
  floatArg(fn, 'grad', grad, len);
  numberInRange(fn, 'lr', lr, 0, Infinity, '[0, ∞)');
  numberInRange(fn, 'weightDecay', weightDecay, 0, Infinity, '[0, ∞)');
}

/** param, grad (len): p −= lr·g. */
export function sgdUpdate(param: FloatArray, grad: FloatArray, len: number, lr: number, weightDecay: number): void {
  common('sgdUpdate', param, grad, len, lr, weightDecay);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    param[i] -= lr * g;
  }
}

/** param, grad, v (len): v = momentum·v − lr·g; p += v. */
export function momentumUpdate(param: FloatArray, grad: FloatArray, v: FloatArray, len: number, lr: number,
  momentum: number, weightDecay: number): void {
  const fn = 'momentumUpdate';
  common(fn, param, grad, len, lr, weightDecay);
  floatArg(fn, 'v', v, len);
  numberInRange(fn, 'momentum', momentum, 0, 1);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    v[i] = momentum * v[i] - lr * g;
    param[i] += v[i];
  }
}

/** param, grad, v (len): v = m·v − lr·g; p += m·m·v − (1+m)·lr·g (the book's Nesterov). */
export function nesterovUpdate(param: FloatArray, grad: FloatArray, v: FloatArray, len: number, lr: number,
  momentum: number, weightDecay: number): void {
  const fn = 'nesterovUpdate';
  common(fn, param, grad, len, lr, weightDecay);
  floatArg(fn, 'v', v, len);
  numberInRange(fn, 'momentum', momentum, 0, 1);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    v[i] = momentum * v[i] - lr * g;
    param[i] += momentum * momentum * v[i] - (1 + momentum) * lr * g;
  }
}

/** param, grad, h (len): h += g²; p −= lr·g/(√h + 1e-7). */
export function adaGradUpdate(param: FloatArray, grad: FloatArray, h: FloatArray, len: number, lr: number,
  weightDecay: number): void {
  const fn = 'adaGradUpdate';
  common(fn, param, grad, len, lr, weightDecay);
  floatArg(fn, 'h', h, len);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    h[i] += g * g;
    param[i] -= (lr * g) / (Math.sqrt(h[i]) + EPS);
  }
}

/** param, grad, h (len): h = decay·h + (1−decay)·g²; p −= lr·g/(√h + 1e-7). */
export function rmspropUpdate(param: FloatArray, grad: FloatArray, h: FloatArray, len: number, lr: number,
  decayRate: number, weightDecay: number): void {
  const fn = 'rmspropUpdate';
  common(fn, param, grad, len, lr, weightDecay);
  floatArg(fn, 'h', h, len);
  numberInRange(fn, 'decayRate', decayRate, 0, 1);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    h[i] = decayRate * h[i] + (1 - decayRate) * g * g;
    param[i] -= (lr * g) / (Math.sqrt(h[i]) + EPS);
  }
}

/**
 * param, grad, m, v (len), step t ≥ 1: lrT = lr·√(1−β2^t)/(1−β1^t); m += (1−β1)(g−m);
 * v += (1−β2)(g²−v); p −= lrT·m/(√v + 1e-7).
 */
export function adamUpdate(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, len: number,
  lr: number, beta1: number, beta2: number, t: number, weightDecay: number): void {
  const fn = 'adamUpdate';
  common(fn, param, grad, len, lr, weightDecay);
  floatArg(fn, 'm', m, len);
  floatArg(fn, 'v', v, len);
  // β = 1 would divide by 1 − β1^t = 0 (and freeze v); t = 0 likewise.
  numberInRange(fn, 'beta1', beta1, 0, 1 - 1e-12, '[0, 1)');
  numberInRange(fn, 'beta2', beta2, 0, 1 - 1e-12, '[0, 1)');
  intArg(fn, 't', t, 1, 2 ** 53);
  const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  for (let i = 0; i < len; i++) {
    const g = grad[i] + weightDecay * param[i];
    m[i] += (1 - beta1) * (g - m[i]);
    v[i] += (1 - beta2) * (g * g - v[i]);
    param[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + EPS);
  }
}
