// The book's ch06/weight_init_compare.py: the same 5-layer ReLU network (4 hidden layers of 100)
// started from weights of std 0.01, Xavier (√(1/n)) and He (√(2/n)), each trained by SGD lr 0.01
// on the same 2,000 batches of 128 images from the full training set; the smoothed losses.
//   scratchnet example weight_init_compare [--iterations 2000] [--batch-size 128]
import { MultiLayerNet } from '../../lib/networks/presets';
import { SGD } from '../../lib/optimizers/sgd';
import type { WeightInit } from '../../lib/layers/layer';
import type { MarkerShape } from '../../lib/plot/canvas';
import { compareLosses } from './loss-compare';
import { done, int, saveResults, scriptArgs } from './common';

const args = scriptArgs({
  name: 'weight_init_compare',
  book: 'ch06/weight_init_compare.py',
  about: 'std 0.01 vs Xavier vs He initial weights: how fast the same network learns',
  options: {
    iterations: { default: 2000, quick: 40, help: 'training steps (the book\'s max_iterations)' },
    'batch-size': { default: 128, quick: 128, help: 'images per step' },
    lr: { default: 0.01, quick: 0.01, help: 'SGD learning rate', kind: 'number' },
    'train-size': { default: null, quick: 2000, help: 'first n training images' },
    'test-size': { default: null, quick: 500, help: 'first n test images (the final accuracies)' },
  },
});
const start = performance.now();
// The book's weight_init_types = {'std=0.01': 0.01, 'Xavier': 'sigmoid', 'He': 'relu'}, markers o, s, D.
const inits: Array<[string, WeightInit, MarkerShape]> = [['std=0.01', 0.01, 'circle'], ['Xavier', 'sigmoid', 'square'], ['He', 'relu', 'diamond']];
// One SGD for all three, as in the book (SGD keeps no state).
const optimizer = new SGD({ lr: args.num.lr! });
const contestants = inits.map(([name, weightInitStd, marker]) => ({
  name, marker, optimizer,
  network: new MultiLayerNet({ inputSize: 784, hiddenSizeList: [100, 100, 100, 100], outputSize: 10, weightInitStd, seed: args.seed }),
}));
const r = compareLosses(args, 'weight_init_compare', `weight initialisation, ReLU network, SGD lr ${args.num.lr}`, 2.5,
  contestants, int(args, 'iterations'), int(args, 'batch-size'));
const results = saveResults(args.out, {
  script: 'weight_init_compare', quick: args.quick, seed: args.seed,
  settings: { iterations: r.iterations, batchSize: r.batchSize, lr: args.num.lr, trainSize: r.trainSize, testSize: r.testSize,
    hiddenSizeList: [100, 100, 100, 100], inits: Object.fromEntries(inits.map(([n, w]) => [n, w])) },
  finalLoss: Object.fromEntries(Object.entries(r.losses).map(([k, v]) => [k, v[v.length - 1]])),
  testAccuracy: r.testAccuracy, losses: r.losses, figure: { width: r.figure.width, height: r.figure.height },
});
done([...r.figure.files, results], start);
