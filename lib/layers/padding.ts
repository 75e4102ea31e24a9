// The two ways Convolution and Pooling take their padding: the book's `pad` (a number of rows
// and columns on every side) and Keras / TensorFlow.js's `padding` ('same' | 'valid' | n).
import { checkPadding, type Padding } from '../tensor/shape';
import { checkInt } from '../check';

/** The layer's padding from its options: pad or padding (not both); 0 when neither is given. */
export function paddingOption(owner: string, options: { pad?: unknown; padding?: unknown }): Padding {
  const { pad, padding } = options;
  if (pad !== undefined && padding !== undefined) {
    throw new TypeError(
      `${owner}: give either pad (the book's, a number) or padding ('same', 'valid' or a number), not both; ` +
        `received pad ${JSON.stringify(pad)} and padding ${JSON.stringify(padding)}. Fix: drop one of them.`,
    );
  }
  if (pad !== undefined) {
    if (typeof pad === 'string') {
      throw new RangeError(
        `${owner}: pad must be an integer ≥ 0, received ${JSON.stringify(pad)}. Fix: write padding: ${JSON.stringify(pad)} ` +
          `for the Keras-style 'same' / 'valid'.`,
      );
    }
    return checkInt(owner, 'pad', pad, 0);
  }
  return padding === undefined ? 0 : checkPadding(owner, 'padding', padding);
}

/** "pad 1", or "padding 'same' (pad 1)" once built, for describe(). */
export function describePadding(padding: Padding, pad: number, built: boolean): string {
  if (typeof padding === 'number') return `pad ${padding}`;
  return built || padding === 'valid' ? `padding '${padding}' (pad ${pad})` : `padding '${padding}'`;
}
