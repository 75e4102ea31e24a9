// What a network takes as input: the shape of one sample (no batch axis), and batches as a user
// has them — a Tensor of that shape, the same values flattened or not (the book reshapes freely
// between (n, 784) and (n, 1, 28, 28)), or an ImageSet. Checked here, once, so that a batch that
// cannot fit is refused with its shape and the network's before any layer runs.
import { describeValue } from '../check';
import { ImageSet } from '../data/dataset';
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** Inputs accepted by accuracy: a Tensor (n, ...inputShape) or an ImageSet. */
export type InputsLike = Tensor | ImageSet;

/** A copy of shape, unless it is not a per-sample input shape (a non-empty list of positive integers). */
export function checkInputShape(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new TypeError(
      `${where}: inputShape must be a non-empty list of positive integers, the shape of ONE sample ` +
        `(no batch axis), received ${JSON.stringify(shape)}. Fix: e.g. [1, 28, 28] for MNIST images read by a Convolution, [784] for flattened ones.`,
    );
  }
  return [...shape];
}

/** x as (n, ...inputShape): data of the same per-sample size is viewed with the network's shape (the book's reshape). */
export function asInput(x: Tensor, inputShape: readonly number[], where: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${where}: x must be a Tensor shaped (batch, ${inputShape.join(', ')}), received ${describeValue(x)}; an ImageSet goes through accuracy(), predictClasses() or predictProba().`);
  }
  const s = x.shape;
  let same = s.length === inputShape.length + 1;
  for (let i = 0; same && i < inputShape.length; i++) same = s[i + 1] === inputShape[i];
  if (same) return x;
  const per = sizeOf(inputShape);
  if (s.length >= 1 && s[0] >= 1 && x.size === s[0] * per) return x.reshape([s[0], ...inputShape]);
  throw new Error(
    `${where}: x has shape ${formatShape(s)} but the network takes (batch, ${inputShape.join(', ')}) ` +
      `(${per} values per sample). Fix: feed data of that shape (flatten: ${inputShape.length === 1 ? 'true' : 'false'} when loading MNIST), or build the network with inputShape ${formatShape(s.slice(1))}.`,
  );
}

/** How many samples x holds, after checking it fits a network taking inputShape. */
export function countSamples(x: InputsLike, inputShape: readonly number[], where: string): number {
  if (x instanceof ImageSet) {
    const per = sizeOf(inputShape);
    if (x.sampleSize !== per) {
      throw new Error(
        `${where}: the images are shaped ${formatShape(x.sampleShape)} (${x.sampleSize} values) but the network takes ${formatShape(inputShape)} (${per}). ` +
          `Fix: load data matching the model's input (e.g. MNIST is 784 values per image).`,
      );
    }
    return x.count;
  }
  if (x instanceof Tensor) return asInput(x, inputShape, where).shape[0];
  throw new TypeError(`${where}: x must be a Tensor or an ImageSet, received ${describeValue(x)}.`);
}
