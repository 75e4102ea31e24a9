// The book's Nesterov accelerated gradient (the reformulation that needs no look-ahead
// gradient): v ← m·v − lr·g; W ← W + m·m·v − (1+m)·lr·g.
import type { Backend, FloatArray } from '../backend/types';
import { FACTOR, LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export interface NesterovOptions extends OptimizerOptions { momentum?: number; }

const SLOTS = ['v'] as const;

export class Nesterov extends Optimizer {
  readonly name = 'Nesterov';

  constructor(options: NesterovOptions = {}) {
    super(options, { lr: LR(0.01), momentum: FACTOR(0.9), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return SLOTS;
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], len: number): void {
    backend.nesterovUpdate(p, g, s[0], len, this.config.lr, this.config.momentum, this.config.weightDecay);
  }
}
