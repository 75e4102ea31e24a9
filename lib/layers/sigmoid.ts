// The book's Sigmoid (ch. 5): dx = dout·out·(1 − out).
import type { Backend, FloatArray } from '../backend/types';
import { OutputActivation } from './activation';

export class Sigmoid extends OutputActivation {
  readonly kind = 'Sigmoid';

  constructor(options: Record<string, never> = {}) {
    super('Sigmoid', options);
  }

  protected kernelForward(b: Backend, x: FloatArray, len: number, out: FloatArray): void {
    b.sigmoidForward(x, len, out);
  }

  protected kernelBackward(b: Backend, dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void {
    b.sigmoidBackward(dout, out, len, dx);
  }

  describe(): string {
    return '1 / (1 + e^−x)';
  }
}
