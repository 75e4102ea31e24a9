// The book's ch06/hyperparameter_optimization.py: random search over the learning rate
// (10^U(−6, −2)) and the weight decay (10^U(−8, −4)) of a 7-layer network (6 hidden layers of
// 100), each trial trained by SGD and judged on a validation set split off the training data
// (20%, after a shuffle); the 20 best trials' validation (solid) and training (dashed) accuracy
// curves in a 5 × 4 grid, best first.
//
// The book cuts the training data to 500 images "for speed" (so its validation set is 100
// images) and trains each trial 50 epochs (200 steps of 100). Here the search runs on the FULL
// training set — 48,000 training and 12,000 validation images — with a budget per trial in
// epochs of that set (default 1: 480 steps, more than the book's 200); each curve has a point
// every quarter epoch, measured on the first 2,000 validation and training images (the
// Trainer's evaluate_sample_num_per_epoch idea), and the ranking uses the full 12,000. The book
// plots the LAST trial's training curve in every panel (a slip in its loop); each panel here
// shows its own trial's.
//   scratchnet example hyperparameter_optimization [--trials 100] [--epochs 1] [--train-size n]
import { ImageSet, LabelSet } from '../../lib/data/dataset';
import { MultiLayerNet } from '../../lib/networks/presets';
import { SGD } from '../../lib/optimizers/sgd';
import { COLORS } from '../../lib/plot/chart';
import type { FigurePanel } from '../../lib/plot/figure';
import { Rng } from '../../lib/tensor/rng';
import { acc, done, int, mnist, RandomBatches, saveFigure, saveResults, scriptArgs } from './common';

const GRAPH_DRAW_NUM = 20;
const COL_NUM = 5;
const POINTS_PER_EPOCH = 4;

const args = scriptArgs({
  name: 'hyperparameter_optimization',
  book: 'ch06/hyperparameter_optimization.py',
  about: 'random search of learning rate and weight decay, judged on a validation set; the 20 best runs',
  options: {
    trials: { default: 100, quick: 4, help: 'random (lr, weight decay) pairs tried (the book\'s optimization_trial)' },
    epochs: { default: 1, quick: 1, help: 'epochs of the training split per trial' },
    'train-size': { default: null, quick: 1000, help: 'first n MNIST training images, before the validation split' },
    'validation-rate': { default: 0.2, quick: 0.2, help: 'share held out for validation', kind: 'number' },
    'eval-samples': { default: 2000, quick: 200, help: 'validation/training images behind each curve point' },
  },
});
const start = performance.now();
const all = mnist(true, args.num['train-size'], 1);
const rate = args.num['validation-rate']!;
if (!(rate > 0 && rate < 1)) throw new RangeError(`--validation-rate must be between 0 and 1, received ${rate}.`);

// shuffle_dataset, then x_val = x_train[:validation_num], x_train = x_train[validation_num:].
const n = all.xTrain.count;
const order = new Rng(args.seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
function subset(from: number, to: number): { x: ImageSet; t: LabelSet } {
  const per = all.xTrain.sampleSize;
  const bytes = new Uint8Array((to - from) * per);
  const labels = new Uint8Array(to - from);
  for (let i = from; i < to; i++) {
    bytes.set(all.xTrain.sampleBytes(order[i]), (i - from) * per);
    labels[i - from] = all.tTrain.labels[order[i]];
  }
  return { x: ImageSet.fromBytes(bytes, all.xTrain.sampleShape), t: new LabelSet(labels, 10) };
}
const validationNum = Math.floor(n * rate);
const val = subset(0, validationNum);
const train = subset(validationNum, n);
const evalN = Math.min(int(args, 'eval-samples'), val.x.count, train.x.count);
const valEval = { x: val.x.slice(0, evalN), t: val.t.slice(0, evalN) };
const trainEval = { x: train.x.slice(0, evalN), t: train.t.slice(0, evalN) };
console.log(`training ${train.x.count} images, validation ${val.x.count} (curves on the first ${evalN} of each)`);

interface Trial { lr: number; weightDecay: number; valAcc: number; valAccList: number[]; trainAccList: number[]; curveAt: number[] }

const batchSize = 100;
const iterPerEpoch = Math.max(Math.floor(train.x.count / batchSize), 1);
const steps = int(args, 'epochs') * iterPerEpoch;
const every = Math.max(1, Math.round(iterPerEpoch / POINTS_PER_EPOCH));
const search = new Rng(args.seed + 1);
const trials: Trial[] = [];
for (let k = 0; k < int(args, 'trials'); k++) {
  // The book's ranges: weight_decay = 10 ** np.random.uniform(-8, -4); lr = 10 ** np.random.uniform(-6, -2).
  const weightDecay = 10 ** (-8 + 4 * search.uniform());
  const lr = 10 ** (-6 + 4 * search.uniform());
  const network = new MultiLayerNet({
    inputSize: 784, hiddenSizeList: [100, 100, 100, 100, 100, 100], outputSize: 10, weightDecayLambda: weightDecay, seed: args.seed + 2 + k,
  });
  const optimizer = new SGD({ lr });
  const batches = new RandomBatches(train.x, train.t, batchSize, args.seed + 1000 + k);
  const valAccList: number[] = [];
  const trainAccList: number[] = [];
  const curveAt: number[] = [];
  for (let i = 1; i <= steps; i++) {
    const { x, t } = batches.next();
    optimizer.update(network.params, network.gradient(x, t));
    if (i % every === 0 || i === steps) {
      valAccList.push(network.accuracy(valEval.x, valEval.t));
      trainAccList.push(network.accuracy(trainEval.x, trainEval.t));
      curveAt.push(i / iterPerEpoch);
    }
  }
  const valAcc = network.accuracy(val.x, val.t);
  trials.push({ lr, weightDecay, valAcc, valAccList, trainAccList, curveAt });
  console.log(`val acc:${acc(valAcc)} | lr:${lr.toExponential(3)}, weight decay:${weightDecay.toExponential(3)}`);
}

console.log('=========== Hyper-Parameter Optimization Result ===========');
const ranked = [...trials].sort((a, b) => b.valAcc - a.valAcc);
const panels: FigurePanel[] = [];
ranked.slice(0, GRAPH_DRAW_NUM).forEach((r, i) => {
  console.log(`Best-${i + 1}(val acc:${acc(r.valAcc)}) | lr:${r.lr.toExponential(3)}, weight decay:${r.weightDecay.toExponential(3)}`);
  panels.push({
    title: `Best-${i + 1}`, xLabel: '', yLabel: i % COL_NUM === 0 ? 'accuracy' : '',
    xTickLabels: false, yTickLabels: i % COL_NUM === 0, yRange: [0, 1], legend: 'none', xRange: [0, int(args, 'epochs')],
    series: [
      { name: 'validation', xs: r.curveAt, ys: r.valAccList, color: COLORS.blue },
      { name: 'train', xs: r.curveAt, ys: r.trainAccList, color: COLORS.orange, dash: [6, 3] },
    ],
  });
});
const fig = saveFigure(args.out, 'hyperparameter_optimization', {
  title: `random search, ${trials.length} trials: validation (solid) and training (dashed) accuracy of the best ${panels.length}`,
  cols: COL_NUM, panelWidth: 260, panelHeight: 200, panels,
});
const results = saveResults(args.out, {
  script: 'hyperparameter_optimization', quick: args.quick, seed: args.seed,
  settings: { trials: trials.length, epochs: int(args, 'epochs'), trainSize: train.x.count, validationSize: val.x.count, evalSamples: evalN,
    batchSize, stepsPerTrial: steps, hiddenSizeList: [100, 100, 100, 100, 100, 100], lrRange: [1e-6, 1e-2], weightDecayRange: [1e-8, 1e-4] },
  ranked, figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
