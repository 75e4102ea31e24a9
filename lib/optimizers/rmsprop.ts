// The book's RMSprop: h ← decay·h + (1 − decay)·g²; W ← W − lr·g/(√h + 1e-7).
import type { Backend, FloatArray } from '../backend/types';
import { FACTOR, LR, Optimizer, WEIGHT_DECAY, type OptimizerOptions } from './optimizer';

export interface RMSpropOptions extends OptimizerOptions { decayRate?: number; }

const SLOTS = ['h'] as const;

export class RMSprop extends Optimizer {
  readonly name = 'RMSprop';

  constructor(options: RMSpropOptions = {}) {
    super(options, { lr: LR(0.01), decayRate: FACTOR(0.99), weightDecay: WEIGHT_DECAY });
  }

  protected slots(): readonly string[] {
    return SLOTS;
  }

  protected step(backend: Backend, p: FloatArray, g: FloatArray, s: FloatArray[], len: number): void {
    backend.rmspropUpdate(p, g, s[0], len, this.config.lr, this.config.decayRate, this.config.weightDecay);
  }
}
