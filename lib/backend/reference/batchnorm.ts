// Batch normalisation over x viewed as (n, c, s): statistics per channel c over n·s values.
import type { BatchNormGeometry, FloatArray } from '../types';
import { batchNormGeometryArg, boolArg, floatArg, numberInRange } from './check';

/**
 * x (n,c,s), γ, β (c) → out (n,c,s), xhat (n,c,s), invStd (c); train mode also updates
 * runningMean / runningVar (c) with the batch mean and biased variance.
 */
export function batchNormForward(x: FloatArray, gamma: FloatArray, beta: FloatArray, g: BatchNormGeometry,
  train: boolean, momentum: number, eps: number, runningMean: FloatArray, runningVar: FloatArray,
  out: FloatArray, xhat: FloatArray, invStd: FloatArray): void {
  const fn = 'batchNormForward';
  g = batchNormGeometryArg(fn, 'g', g);
  const { n, c, s } = g;
  const len = n * c * s;
  floatArg(fn, 'x', x, len);
  floatArg(fn, 'gamma', gamma, c);
  floatArg(fn, 'beta', beta, c);
  boolArg(fn, 'train', train);
  numberInRange(fn, 'momentum', momentum, 0, 1);
  numberInRange(fn, 'eps', eps, Number.MIN_VALUE, Number.MAX_VALUE, '(0, ∞) (the book uses 1e-7)');
  floatArg(fn, 'runningMean', runningMean, c);
  floatArg(fn, 'runningVar', runningVar, c);
  floatArg(fn, 'out', out, len);
  floatArg(fn, 'xhat', xhat, len);
  floatArg(fn, 'invStd', invStd, c);
  const count = n * s;
  for (let ch = 0; ch < c; ch++) {
    let mu: number;
    let variance: number;
    if (train) {
      let sum = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) sum += x[base + i];
      }
      mu = sum / count;
      let sq = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = 0; i < s; i++) {
          const d = x[base + i] - mu;
          sq += d * d;
        }
      }
      variance = sq / count;
      runningMean[ch] = momentum * runningMean[ch] + (1 - momentum) * mu;
      runningVar[ch] = momentum * runningVar[ch] + (1 - momentum) * variance;
    } else {
      mu = runningMean[ch];
      variance = runningVar[ch];
    }
    const inv = 1 / Math.sqrt(variance + eps);
    invStd[ch] = inv;
    const ga = gamma[ch];
    const be = beta[ch];
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * s;
      for (let i = 0; i < s; i++) {
        const xh = (x[base + i] - mu) * inv;
        xhat[base + i] = xh;
        out[base + i] = ga * xh + be;
      }
    }
  }
}

/**
 * dout, xhat (n,c,s), γ, invStd (c) → dx (n,c,s), dγ, dβ (c), training mode:
 * dx = γ·invStd/M · (M·dout − Σdout − xhat·Σ(dout·xhat)), M = n·s.
 */
export function batchNormBackward(dout: FloatArray, xhat: FloatArray, gamma: FloatArray, invStd: FloatArray,
  g: BatchNormGeometry, dx: FloatArray, dgamma: FloatArray, dbeta: FloatArray): void {
  const fn = 'batchNormBackward';
  g = batchNormGeometryArg(fn, 'g', g);
  const { n, c, s } = g;
  const len = n * c * s;
  floatArg(fn, 'dout', dout, len);
  floatArg(fn, 'xhat', xhat, len);
  floatArg(fn, 'gamma', gamma, c);
  floatArg(fn, 'invStd', invStd, c);
  floatArg(fn, 'dx', dx, len);
  floatArg(fn, 'dgamma', dgamma, c);
  floatArg(fn, 'dbeta', dbeta, c);
  const count = n * s;
  for (let ch = 0; ch < c; ch++) {
    let sumD = 0;
    let sumDX = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * s;
      for (let i = 0; i < s; i++) {
        sumD += dout[base + i];
        sumDX += dout[base + i] * xhat[base + i];
      }
    }
    dbeta[ch] = sumD;
    dgamma[ch] = sumDX;
    const k = (gamma[ch] * invStd[ch]) / count;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * s;
      for (let i = 0; i < s; i++) {
        dx[base + i] = k * (count * dout[base + i] - sumD - xhat[base + i] * sumDX);
      }
    }
  }
}
