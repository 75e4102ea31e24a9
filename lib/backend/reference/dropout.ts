// The book's Dropout (not inverted): training multiplies by a 0/1 mask drawn from the shared
// counter-based hash, so both backends produce the same mask bit for bit.
import type { FloatArray } from '../types';
import { dropoutKey, dropoutUniform } from '../../tensor/rng';
import { floatArg, intArg, numberInRange, uint8Arg } from './check';

const U32_MAX = 0xffffffff;

/** x (len) → out (len) = x · mask, mask[i] = u(seed, counter, i) > ratio. */
export function dropoutForward(x: FloatArray, len: number, ratio: number, seed: number, counter: number,
  out: FloatArray, mask: Uint8Array): void {
  const fn = 'dropoutForward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'x', x, len);
  numberInRange(fn, 'ratio', ratio, 0, 1);
  intArg(fn, 'seed', seed, 0, U32_MAX);
  intArg(fn, 'counter', counter, 0, U32_MAX);
  floatArg(fn, 'out', out, len);
  uint8Arg(fn, 'mask', mask, len);
  const key = dropoutKey(seed, counter);
  for (let i = 0; i < len; i++) {
    const keep = dropoutUniform(key, i) > ratio ? 1 : 0;
    mask[i] = keep;
    out[i] = x[i] * keep;
  }
}

/** dout (len), mask (len) → dx (len) = dout · mask. */
export function dropoutBackward(dout: FloatArray, mask: Uint8Array, len: number, dx: FloatArray): void {
  const fn = 'dropoutBackward';
  intArg(fn, 'len', len, 0);
  floatArg(fn, 'dout', dout, len);
  uint8Arg(fn, 'mask', mask, len);
  floatArg(fn, 'dx', dx, len);
  for (let i = 0; i < len; i++) dx[i] = mask[i] ? dout[i] : 0;
}
