// The book's Adam (bias correction folded into the step size):
// lr_t = lr·√(1 − β2^t)/(1 − β1^t); m += (1−β1)(g − m); v += (1−β2)(g² − v); W −= lr_t·m/(√v + 1e-7).
import type { Backend, FloatArray } from '../backend/types';
import { FACTOR, LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export interface AdamOptions extends OptimizerOptions { beta1?: number; beta2?: number; }

const SLOTS = ['m', 'v'] as const;

export class Adam extends Optimizer {
  readonly name = 'Adam';

  constructor(options: AdamOptions = {}) {
    super(options, { lr: LR(0.001), beta1: FACTOR(0.9), beta2: FACTOR(0.999), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return SLOTS;
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], len: number): void {
    // t was incremented by update before the first parameter, as the book's self.iter += 1.
    backend.adamUpdate(p, g, s[0], s[1], len, this.config.lr, this.config.beta1, this.config.beta2, this.t, this.config.weightDecay);
  }
}
