// The book's AdaGrad: h ← h + g²; W ← W − lr·g/(√h + 1e-7).
import type { Backend, FloatArray } from '../backend/types';
import { LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export type AdaGradOptions = OptimizerOptions;

const SLOTS = ['h'] as const;

export class AdaGrad extends Optimizer {
  readonly name = 'AdaGrad';

  constructor(options: AdaGradOptions = {}) {
    super(options, { lr: LR(0.01), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return SLOTS;
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], len: number): void {
    backend.adaGradUpdate(p, g, s[0], len, this.config.lr, this.config.weightDecay);
  }
}
