// The book's Relu (ch. 5).
import type { Backend, FloatArray } from '../backend/types';
import { OutputActivation } from './activation';

export class Relu extends OutputActivation {
  readonly kind = 'Relu';

  constructor(options: Record<string, never> = {}) {
    super('Relu', options);
  }

  protected kernelForward(b: Backend, x: FloatArray, len: number, out: FloatArray): void {
    b.reluForward(x, len, out);
  }

  protected kernelBackward(b: Backend, dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void {
    b.reluBackward(dout, out, len, dx);
  }

  describe(): string {
    return 'max(0, x)';
  }
}
