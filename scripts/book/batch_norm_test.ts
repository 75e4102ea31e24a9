// The book's ch06/batch_norm_test.py: a 6-layer network (5 hidden layers of 100, ReLU) with and
// without batch normalisation, trained by SGD lr 0.01 on the first 1,000 training images for 20
// epochs, at 16 initial weight scales from 1 down to 0.0001 (np.logspace(0, -4, 16)); each
// panel shows the training accuracy of both. The 1,000 images are the book's on purpose — the
// experiment is how fast each learns from little data, so they are kept here.
//   scratchnet example batch_norm_test [--epochs 20] [--train-size 1000] [--lr 0.01]
import { MultiLayerNetExtend } from '../../lib/networks/presets';
import { SGD } from '../../lib/optimizers/sgd';
import { COLORS } from '../../lib/plot/chart';
import type { FigurePanel } from '../../lib/plot/figure';
import { acc, done, epochStart, int, mnist, RandomBatches, saveFigure, saveResults, scriptArgs } from './common';

const SCALES = 16;

const args = scriptArgs({
  name: 'batch_norm_test',
  book: 'ch06/batch_norm_test.py',
  about: 'with vs without batch normalisation, at 16 initial weight scales (1 … 0.0001)',
  options: {
    epochs: { default: 20, quick: 2, help: 'epochs per run (the book\'s max_epochs)' },
    'train-size': { default: 1000, quick: 200, help: 'first n training images (the book\'s cut, kept: it is the experiment)' },
    'batch-size': { default: 100, quick: 100, help: 'images per step' },
    lr: { default: 0.01, quick: 0.01, help: 'SGD learning rate', kind: 'number' },
  },
});
const start = performance.now();
const { xTrain, tTrain } = mnist(true, args.num['train-size'], 1);
const maxEpochs = int(args, 'epochs');
const batchSize = int(args, 'batch-size');
const optimizer = new SGD({ lr: args.num.lr! });

function train(weightInitStd: number, seed: number): { normal: number[]; bn: number[] } {
  const options = { inputSize: 784, hiddenSizeList: [100, 100, 100, 100, 100], outputSize: 10, weightInitStd, seed };
  const bnNetwork = new MultiLayerNetExtend({ ...options, useBatchnorm: true });
  const network = new MultiLayerNetExtend(options);
  const normal: number[] = [];
  const bn: number[] = [];
  const iterPerEpoch = Math.max(xTrain.count / batchSize, 1);
  const batches = new RandomBatches(xTrain, tTrain, batchSize, seed);
  for (let i = 0; normal.length < maxEpochs; i++) {
    const { x, t } = batches.next();
    for (const net of [bnNetwork, network]) optimizer.update(net.params, net.gradient(x, t));
    if (epochStart(i, iterPerEpoch)) {
      normal.push(network.accuracy(xTrain, tTrain));
      bn.push(bnNetwork.accuracy(xTrain, tTrain));
      console.log(`epoch:${normal.length - 1} | ${acc(normal[normal.length - 1])} - ${acc(bn[bn.length - 1])}`);
    }
  }
  return { normal, bn };
}

const scales = Array.from({ length: SCALES }, (_, i) => 10 ** (-4 * i / (SCALES - 1)));
const runs: Array<{ weightScale: number; normal: number[]; bn: number[] }> = [];
const panels: FigurePanel[] = [];
const x = Array.from({ length: maxEpochs }, (_, i) => i);
scales.forEach((w, i) => {
  console.log(`============== ${i + 1}/${SCALES} ==============`);
  const r = train(w, args.seed + i);
  runs.push({ weightScale: w, ...r });
  const last = i === SCALES - 1;
  panels.push({
    title: `W:${w.toPrecision(3)}`,
    xLabel: i >= 12 ? 'epochs' : '', yLabel: i % 4 === 0 ? 'accuracy' : '',
    xTickLabels: i >= 12, yTickLabels: i % 4 === 0, yRange: [0, 1], xRange: [0, Math.max(1, maxEpochs - 1)],
    // The book labels the two curves in the last panel only.
    legend: last ? 'lower right' : 'none', legendScale: 1,
    series: [
      { name: 'Batch Normalization', xs: x, ys: r.bn, color: COLORS.blue },
      { name: 'Normal (without BatchNorm)', xs: x, ys: r.normal, color: COLORS.orange, dash: [6, 3] },
    ],
  });
});

const fig = saveFigure(args.out, 'batch_norm_test', {
  title: `training accuracy with (solid) and without (dashed) batch norm: ${xTrain.count} images, SGD lr ${args.num.lr}`,
  cols: 4, panelWidth: 300, panelHeight: 220, panels,
});
const results = saveResults(args.out, {
  script: 'batch_norm_test', quick: args.quick, seed: args.seed,
  settings: { epochs: maxEpochs, trainSize: xTrain.count, batchSize, lr: args.num.lr, hiddenSizeList: [100, 100, 100, 100, 100] },
  runs, figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
