// The book's ch07/train_convnet.py: SimpleConvNet on MNIST with the Trainer (Adam, lr 0.001,
// 20 epochs, per-epoch evaluation on 1000 samples), then save the parameters and plot the
// accuracy curves — and the first layer's filters before and after (ch07/visualize_filter.py).
//   node dist/scripts/examples/train-convnet.js [--epochs 20] [--train-size n] [--test-size n] [--out dir]
import * as path from 'node:path';
import { SimpleConvNet } from '../../lib/networks/presets';
import { Trainer } from '../../lib/train/trainer';
import { plotTrainingCurvesToFile, plotFiltersToFile } from '../../lib/plot/index';
import { exampleArgs, mnistSubset } from './args';

const args = exampleArgs({ epochs: 20, out: 'runs/train-convnet' });
const { xTrain, tTrain, xTest, tTest } = mnistSubset(args);

const network = new SimpleConvNet({
  inputDim: [1, 28, 28],
  convParam: { filterNum: 30, filterSize: 5, pad: 0, stride: 1 },
  hiddenSize: 100, outputSize: 10, weightInitStd: 0.01,
});
plotFiltersToFile(path.join(args.out, 'filters-before.png'), network.params.W1);

const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
  epochs: args.epochs, miniBatchSize: 100,
  optimizer: 'Adam', optimizerParam: { lr: 0.001 },
  evaluateSampleNumPerEpoch: 1000,
});
const history = trainer.train();

// Save the parameters (the book pickles them to params.pkl).
network.saveParams(path.join(args.out, 'params.safetensors'));
console.log(`Saved Network Parameters! (${path.join(args.out, 'params.safetensors')})`);

plotTrainingCurvesToFile(path.join(args.out, 'curves.png'), history, { title: 'SimpleConvNet', yRange: 'full' });
plotFiltersToFile(path.join(args.out, 'filters-after.png'), network.params.W1);
console.log(`Pictures: ${['curves.png', 'filters-before.png', 'filters-after.png'].map((f) => path.join(args.out, f)).join(', ')}`);
