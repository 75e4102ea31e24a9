// The book's ch06/optimizer_compare_mnist.py: the same 5-layer network (4 hidden layers of 100,
// ReLU, He init) trained by SGD, Momentum, AdaGrad and Adam with the book's default settings,
// 2,000 iterations of 128 images drawn from the full training set; the smoothed losses in one plot.
//   scratchnet example optimizer_compare_mnist [--iterations 2000] [--optimizers SGD,Momentum,AdaGrad,Adam,RMSprop]
import { MultiLayerNet } from '../../lib/networks/presets';
import { createOptimizer } from '../../lib/optimizers/index';
import type { MarkerShape } from '../../lib/plot/canvas';
import { compareLosses } from './loss-compare';
import { done, int, saveResults, scriptArgs } from './common';

// The book's markers: SGD 'o', Momentum 'x', AdaGrad 's', Adam 'D'; RMSprop and Nesterov (commented out there) '^' and 's'.
const MARKERS: Record<string, MarkerShape> = { SGD: 'circle', Momentum: 'cross', AdaGrad: 'square', Adam: 'diamond', RMSprop: 'triangle', Nesterov: 'square' };

const args = scriptArgs({
  name: 'optimizer_compare_mnist',
  book: 'ch06/optimizer_compare_mnist.py',
  about: 'SGD, Momentum, AdaGrad and Adam train the same 5-layer network; their losses side by side',
  options: {
    iterations: { default: 2000, quick: 40, help: 'training steps (the book\'s max_iterations)' },
    'batch-size': { default: 128, quick: 128, help: 'images per step' },
    optimizers: { default: ['SGD', 'Momentum', 'AdaGrad', 'Adam'], help: 'which to compare, with the book\'s default settings', list: true, choices: Object.keys(MARKERS) },
    'train-size': { default: null, quick: 2000, help: 'first n training images' },
    'test-size': { default: null, quick: 500, help: 'first n test images (the final accuracies)' },
  },
});
const start = performance.now();
// Every network starts from the same weights (one seed), so only the optimizer differs.
const contestants = args.list.optimizers.map((name) => ({
  name,
  network: new MultiLayerNet({ inputSize: 784, hiddenSizeList: [100, 100, 100, 100], outputSize: 10, seed: args.seed }),
  optimizer: createOptimizer(name),
  marker: MARKERS[name],
}));
const r = compareLosses(args, 'optimizer_compare_mnist', `optimizers on MNIST (${int(args, 'batch-size')} images a step)`, 1,
  contestants, int(args, 'iterations'), int(args, 'batch-size'));
const results = saveResults(args.out, {
  script: 'optimizer_compare_mnist', quick: args.quick, seed: args.seed,
  settings: { iterations: r.iterations, batchSize: r.batchSize, trainSize: r.trainSize, testSize: r.testSize, hiddenSizeList: [100, 100, 100, 100],
    optimizers: Object.fromEntries(contestants.map((c) => [c.name, { ...c.optimizer.config }])) },
  finalLoss: Object.fromEntries(Object.entries(r.losses).map(([k, v]) => [k, v[v.length - 1]])),
  testAccuracy: r.testAccuracy, losses: r.losses, figure: { width: r.figure.width, height: r.figure.height },
});
done([...r.figure.files, results], start);
