// The Trainer's four arguments after the network: images as ImageSets (or Tensors shaped
// (n, ...sample)), labels as LabelSets (or class indices, or one-hot Tensors), checked against
// the network before anything is built — sample size, counts, classes, and no empty set.
import { describeValue } from '../check';
import { ImageSet, LabelSet } from '../data/dataset';
import type { Sequential } from '../networks/sequential';
import { formatShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export type ImagesLike = ImageSet | Tensor;
export type LabelsInput = LabelSet | Int32Array | Tensor | readonly number[];

function toImageSet(where: string, x: ImagesLike): ImageSet {
  if (x instanceof ImageSet) return x;
  if (x instanceof Tensor) return ImageSet.fromTensor(x);
  throw new TypeError(`Trainer: ${where} must be an ImageSet (loadMnist) or a Tensor shaped (n, ...sample), received ${describeValue(x)}.`);
}

function toLabelSet(where: string, t: LabelsInput, numClasses: number): LabelSet {
  if (t instanceof LabelSet) return t;
  if (t instanceof Tensor) return LabelSet.fromTensor(t, t.shape.length === 2 ? undefined : numClasses);
  if (t instanceof Int32Array || Array.isArray(t) || ArrayBuffer.isView(t)) return LabelSet.fromArray(t as ArrayLike<number>, numClasses);
  throw new TypeError(`Trainer: ${where} must be a LabelSet, an Int32Array of class indices or a Tensor, received ${describeValue(t)}.`);
}

/** The training and test sets as ImageSet/LabelSet pairs that fit `network`, or an error saying what does not. */
export function trainingData(network: Sequential, xTrain: ImagesLike, tTrain: LabelsInput, xTest: ImagesLike, tTest: LabelsInput):
  { xTrain: ImageSet; tTrain: LabelSet; xTest: ImageSet; tTest: LabelSet } {
  const k = network.numClasses;
  const d = {
    xTrain: toImageSet('xTrain', xTrain), tTrain: toLabelSet('tTrain', tTrain, k),
    xTest: toImageSet('xTest', xTest), tTest: toLabelSet('tTest', tTest, k),
  };
  const per = sizeOf(network.inputShape);
  for (const [name, x, t] of [['training', d.xTrain, d.tTrain], ['test', d.xTest, d.tTest]] as const) {
    if (x.sampleSize !== per) {
      throw new Error(
        `Trainer: the ${name} images are shaped ${formatShape(x.sampleShape)} (${x.sampleSize} values) but the network takes ${formatShape(network.inputShape)} (${per}). ` +
          `Fix: give data matching the model's inputShape (MNIST images have 784 values).`,
      );
    }
    if (x.count !== t.count) throw new Error(`Trainer: ${x.count} ${name} images but ${t.count} ${name} labels; they must match.`);
    if (t.numClasses > k) {
      throw new Error(`Trainer: the ${name} labels have ${t.numClasses} classes but the network outputs ${k} scores. Fix: set outputSize (or the last Affine's units) to ${t.numClasses}.`);
    }
  }
  if (d.xTrain.count === 0) throw new Error(`Trainer: the training set is empty.`);
  // An accuracy over no images would be reported as 0.00% and look like a broken model.
  if (d.xTest.count === 0) throw new Error(`Trainer: the test set is empty; the accuracies need at least one test image. Fix: give test data (e.g. --test-size ≥ 1 with a non-empty test split).`);
  return d;
}
