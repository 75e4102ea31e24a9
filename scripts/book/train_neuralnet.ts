// The book's ch05/train_neuralnet.py: TwoLayerNet (784 → 50 → 10, std 0.01) trained by
// backpropagation with plain SGD (lr 0.1, batch 100, 10,000 iterations, batches drawn with
// replacement), the accuracy on the whole training and test sets once per epoch. The figure is
// the one the book draws for this loop (ch04: accuracy per epoch, the loss per iteration).
//   scratchnet example train_neuralnet [--iterations 10000] [--batch-size 100] [--lr 0.1] [--out dir]
import { TwoLayerNet } from '../../lib/networks/presets';
import { SGD } from '../../lib/optimizers/sgd';
import { COLORS } from '../../lib/plot/chart';
import { acc, done, epochStart, int, mnist, RandomBatches, saveFigure, saveResults, scriptArgs } from './common';

const args = scriptArgs({
  name: 'train_neuralnet',
  book: 'ch05/train_neuralnet.py',
  about: 'TwoLayerNet learns MNIST by backpropagation and SGD; accuracy per epoch and the loss per iteration',
  options: {
    iterations: { default: 10000, quick: 60, help: 'training steps (the book\'s iters_num)' },
    'batch-size': { default: 100, quick: 100, help: 'images per step' },
    lr: { default: 0.1, quick: 0.1, help: 'SGD learning rate', kind: 'number' },
    'hidden-size': { default: 50, quick: 50, help: 'hidden units' },
    'train-size': { default: null, quick: 1000, help: 'first n training images' },
    'test-size': { default: null, quick: 500, help: 'first n test images' },
  },
});
const start = performance.now();
const { xTrain, tTrain, xTest, tTest } = mnist(true, args.num['train-size'], args.num['test-size']);
const network = new TwoLayerNet({ inputSize: 784, hiddenSize: int(args, 'hidden-size'), outputSize: 10, seed: args.seed });
const optimizer = new SGD({ lr: args.num.lr! });

const itersNum = int(args, 'iterations');
const batchSize = int(args, 'batch-size');
const iterPerEpoch = Math.max(xTrain.count / batchSize, 1);
const batches = new RandomBatches(xTrain, tTrain, batchSize, args.seed);
const trainLossList: number[] = [];
const trainAccList: number[] = [];
const testAccList: number[] = [];
const evalAt: number[] = [];

for (let i = 0; i < itersNum; i++) {
  const { x, t } = batches.next();
  const grad = network.gradient(x, t);
  optimizer.update(network.params, grad);
  trainLossList.push(network.lastLoss);
  if (epochStart(i, iterPerEpoch)) {
    const trainAcc = network.accuracy(xTrain, tTrain);
    const testAcc = network.accuracy(xTest, tTest);
    trainAccList.push(trainAcc);
    testAccList.push(testAcc);
    evalAt.push(i);
    console.log(`epoch ${trainAccList.length - 1} (iteration ${i}): train acc ${acc(trainAcc)}, test acc ${acc(testAcc)}`);
  }
}
const finalTest = network.accuracy(xTest, tTest);
console.log(`after ${itersNum} iterations: test accuracy ${acc(finalTest)} on ${xTest.count} images`);

const epochs = trainAccList.map((_, i) => i);
const fig = saveFigure(args.out, 'train_neuralnet', {
  title: `TwoLayerNet, SGD lr ${args.num.lr}: ${xTrain.count} training images, final test accuracy ${(finalTest * 100).toFixed(2)}%`,
  panelWidth: 560,
  panelHeight: 420,
  panels: [
    {
      title: 'accuracy', xLabel: 'epochs', yLabel: 'accuracy', yRange: [0, 1], legend: 'lower right',
      series: [
        { name: 'train acc', xs: epochs, ys: trainAccList, color: COLORS.blue, marker: 'circle' },
        { name: 'test acc', xs: epochs, ys: testAccList, color: COLORS.orange, marker: 'square', dash: [6, 3] },
      ],
    },
    {
      title: 'loss', xLabel: 'iteration', yLabel: 'loss', includeZero: true, legend: 'upper right',
      series: [{ name: 'train loss', xs: trainLossList.map((_, i) => i), ys: trainLossList, color: COLORS.blue, width: 1 }],
    },
  ],
});
const results = saveResults(args.out, {
  script: 'train_neuralnet', quick: args.quick, seed: args.seed,
  settings: { iterations: itersNum, batchSize, lr: args.num.lr, hiddenSize: args.num['hidden-size'], trainSize: xTrain.count, testSize: xTest.count },
  evalAtIteration: evalAt, trainAccList, testAccList, finalTestAccuracy: finalTest,
  trainLossList, figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
