// Homework 1: the smallest convolutional network, Conv–Relu–Pool–Affine (one fully connected
// layer) on the full MNIST, as the ConvNet1FC preset. Shows the misclassified test images.
//   node dist/scripts/examples/homework1-conv-1fc.js [--epochs 20] [--train-size n] [--test-size n] [--out dir]
import * as path from 'node:path';
import { ConvNet1FC } from '../../lib/networks/presets';
import { Trainer } from '../../lib/train/trainer';
import { plotMisclassifiedToFile, plotTrainingCurvesToFile } from '../../lib/plot/index';
import { exampleArgs, mnistSubset } from './args';

const args = exampleArgs({ epochs: 20, out: 'runs/homework1' });
const { xTrain, tTrain, xTest, tTest } = mnistSubset(args);

const network = new ConvNet1FC({ convParam: { filterNum: 30, filterSize: 5, pad: 0, stride: 1 }, weightInitStd: 0.01, seed: 1 });
console.log(network.summary());

const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
  epochs: args.epochs, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed: 1,
});
const history = trainer.train();
console.log(`test accuracy ${(history.testAccuracy! * 100).toFixed(2)}% in ${history.trainSeconds.toFixed(1)} s of training`);

// The book's misclassified_mnist: predict over the test set in batches of 100, argmax per row.
const predictions = network.predictClasses(xTest, { batchSize: 100 });
plotMisclassifiedToFile(path.join(args.out, 'misclassified.png'), xTest, tTest, predictions, { max: 20 });
plotTrainingCurvesToFile(path.join(args.out, 'curves.png'), history, { title: 'ConvNet1FC' });
network.saveParams(path.join(args.out, 'params.safetensors'));
console.log(`saved to ${args.out}`);
