// The book's SGD: W ← W − lr·∂L/∂W.
import type { Backend, FloatArray } from '../backend/types';
import { LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export type SGDOptions = OptimizerOptions;

export class SGD extends Optimizer {
  readonly name = 'SGD';

  constructor(options: SGDOptions = {}) {
    super(options, { lr: LR(0.01), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return [];
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, _s: FloatArray[], len: number): void {
    backend.sgdUpdate(p, g, len, this.config.lr, this.config.weightDecay);
  }
}
