// The book's ch06/overfit_weight_decay.py: a 7-layer network (6 hidden layers of 100, ReLU, He
// init) overfits the first 300 training images — SGD lr 0.01, batch 100, 201 epochs — and weight
// decay (λ = 0.1) narrows the gap between training and test accuracy. The book edits the script
// to switch λ between 0 (fig. 6-20) and 0.1 (fig. 6-21); this runs both, one panel each. The 300
// images are the book's on purpose (the experiment is overfitting), so they are kept; the test
// accuracy is measured on the full 10,000 test images, as in the book.
//   scratchnet example overfit_weight_decay [--weight-decay 0,0.1] [--epochs 201] [--train-size 300]
import { MultiLayerNet } from '../../lib/networks/presets';
import { SGD } from '../../lib/optimizers/sgd';
import type { FigurePanel } from '../../lib/plot/figure';
import { acc, accuracyPanel, done, epochStart, fail, int, mnist, RandomBatches, saveFigure, saveResults, scriptArgs } from './common';

const args = scriptArgs({
  name: 'overfit_weight_decay',
  book: 'ch06/overfit_weight_decay.py',
  about: 'overfitting 300 images, without and with weight decay (λ = 0.1)',
  options: {
    'weight-decay': { default: ['0', '0.1'], help: 'λ values, one run and panel each (the book: 0 and 0.1)', list: true },
    epochs: { default: 201, quick: 3, help: 'epochs (the book\'s max_epochs)' },
    'train-size': { default: 300, quick: 300, help: 'first n training images (the book\'s cut, kept: it is the experiment)' },
    'test-size': { default: null, quick: 500, help: 'first n test images' },
    lr: { default: 0.01, quick: 0.01, help: 'SGD learning rate', kind: 'number' },
  },
});
const start = performance.now();
const lambdas = args.list['weight-decay'].map((s) => {
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) fail(`--weight-decay: '${s}' is not a number ≥ 0.`);
  return v;
});
const { xTrain, tTrain, xTest, tTest } = mnist(true, args.num['train-size'], args.num['test-size']);
const maxEpochs = int(args, 'epochs');
const batchSize = 100;
const iterPerEpoch = Math.max(xTrain.count / batchSize, 1);

const runs: Array<{ weightDecayLambda: number; trainAccList: number[]; testAccList: number[] }> = [];
const panels: FigurePanel[] = [];
for (const lambda of lambdas) {
  console.log(`=== weight_decay_lambda = ${lambda} ===`);
  const network = new MultiLayerNet({
    inputSize: 784, hiddenSizeList: [100, 100, 100, 100, 100, 100], outputSize: 10, weightDecayLambda: lambda, seed: args.seed,
  });
  const optimizer = new SGD({ lr: args.num.lr! });
  const batches = new RandomBatches(xTrain, tTrain, batchSize, args.seed);
  const trainAccList: number[] = [];
  const testAccList: number[] = [];
  for (let i = 0; trainAccList.length < maxEpochs; i++) {
    const { x, t } = batches.next();
    optimizer.update(network.params, network.gradient(x, t));
    if (epochStart(i, iterPerEpoch)) {
      trainAccList.push(network.accuracy(xTrain, tTrain));
      testAccList.push(network.accuracy(xTest, tTest));
      const e = trainAccList.length - 1;
      if (e % 10 === 0 || e === maxEpochs - 1) console.log(`epoch:${e}, train acc:${acc(trainAccList[e])}, test acc:${acc(testAccList[e])}`);
    }
  }
  runs.push({ weightDecayLambda: lambda, trainAccList, testAccList });
  const gap = trainAccList[maxEpochs - 1] - testAccList[maxEpochs - 1];
  panels.push(accuracyPanel(`weight decay ${lambda} (gap ${(gap * 100).toFixed(1)} points)`, trainAccList, testAccList, 0, 10));
}

const fig = saveFigure(args.out, 'overfit_weight_decay', {
  title: `7-layer network on ${xTrain.count} training images, SGD lr ${args.num.lr}`,
  panelWidth: 560, panelHeight: 420, panels,
});
const results = saveResults(args.out, {
  script: 'overfit_weight_decay', quick: args.quick, seed: args.seed,
  settings: { epochs: maxEpochs, trainSize: xTrain.count, testSize: xTest.count, batchSize, lr: args.num.lr, hiddenSizeList: [100, 100, 100, 100, 100, 100] },
  runs, figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
