// The book's ch06/overfit_dropout.py: the same 7-layer network on the first 300 training images,
// now with Dropout (ratio 0.2) after every hidden layer, trained by the Trainer (SGD lr 0.01,
// batch 100, 301 epochs). The book edits use_dropout to draw fig. 6-23's two panels; this runs
// both. The 300 images are the book's on purpose (overfitting is the experiment); the test
// accuracy is on the full 10,000 test images, as the Trainer measures it there.
//   scratchnet example overfit_dropout [--dropout-ratio 0.2] [--epochs 301] [--train-size 300]
import { MultiLayerNetExtend } from '../../lib/networks/presets';
import type { FigurePanel } from '../../lib/plot/figure';
import { Trainer } from '../../lib/train/trainer';
import { acc, accuracyPanel, done, int, mnist, saveFigure, saveResults, scriptArgs } from './common';

const args = scriptArgs({
  name: 'overfit_dropout',
  book: 'ch06/overfit_dropout.py',
  about: 'overfitting 300 images, without and with Dropout (ratio 0.2)',
  options: {
    'dropout-ratio': { default: 0.2, quick: 0.2, help: 'the book\'s dropout_ratio', kind: 'number' },
    epochs: { default: 301, quick: 3, help: 'epochs' },
    'train-size': { default: 300, quick: 300, help: 'first n training images (the book\'s cut, kept: it is the experiment)' },
    'test-size': { default: null, quick: 500, help: 'first n test images' },
    lr: { default: 0.01, quick: 0.01, help: 'SGD learning rate', kind: 'number' },
  },
});
const start = performance.now();
const { xTrain, tTrain, xTest, tTest } = mnist(true, args.num['train-size'], args.num['test-size']);
const ratio = args.num['dropout-ratio']!;
const epochs = int(args, 'epochs');

const runs: Array<{ useDropout: boolean; trainAccList: number[]; testAccList: number[]; seconds: number }> = [];
const panels: FigurePanel[] = [];
for (const useDropout of [false, true]) {
  console.log(`=== use_dropout = ${useDropout}${useDropout ? `, dropout_ratio = ${ratio}` : ''} ===`);
  const network = new MultiLayerNetExtend({
    inputSize: 784, hiddenSizeList: [100, 100, 100, 100, 100, 100], outputSize: 10, useDropout, dropoutRation: ratio, seed: args.seed,
  });
  const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
    epochs, miniBatchSize: 100, optimizer: 'SGD', optimizerParam: { lr: args.num.lr! }, seed: args.seed, verbose: false,
    onEpoch: (e) => { if (e.epoch % 25 === 0 || e.epoch === epochs) console.log(`epoch:${e.epoch}, train acc:${acc(e.trainAcc)}, test acc:${acc(e.testAcc!)}`); }, // no validation split: measured every epoch
  });
  const h = trainer.train();
  runs.push({ useDropout, trainAccList: h.trainAccList, testAccList: h.testAccList, seconds: h.trainSeconds + h.evalSeconds });
  const gap = h.trainAccList[h.trainAccList.length - 1] - h.testAccList[h.testAccList.length - 1];
  panels.push(accuracyPanel(`${useDropout ? `Dropout ${ratio}` : 'no Dropout'} (gap ${(gap * 100).toFixed(1)} points)`, h.trainAccList, h.testAccList, 1, 10));
}

const fig = saveFigure(args.out, 'overfit_dropout', {
  title: `7-layer network on ${xTrain.count} training images, SGD lr ${args.num.lr}`,
  panelWidth: 560, panelHeight: 420, panels,
});
const results = saveResults(args.out, {
  script: 'overfit_dropout', quick: args.quick, seed: args.seed,
  settings: { epochs, trainSize: xTrain.count, testSize: xTest.count, batchSize: 100, lr: args.num.lr, dropoutRatio: ratio, hiddenSizeList: [100, 100, 100, 100, 100, 100] },
  runs, figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
