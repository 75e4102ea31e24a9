// The book's Momentum: v ← momentum·v − lr·g; W ← W + v.
import type { Backend, FloatArray } from '../backend/types';
import { FACTOR, LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export interface MomentumOptions extends OptimizerOptions { momentum?: number; }

const SLOTS = ['v'] as const;

export class Momentum extends Optimizer {
  readonly name = 'Momentum';

  constructor(options: MomentumOptions = {}) {
    super(options, { lr: LR(0.01), momentum: FACTOR(0.9), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return SLOTS;
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], len: number): void {
    backend.momentumUpdate(p, g, s[0], len, this.config.lr, this.config.momentum, this.config.weightDecay);
  }
}
