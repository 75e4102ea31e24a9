// Homework 2: LeNet with two real convolution layers, built layer by layer as a Sequential
// stack. No shape is worked out by hand: each layer is built from the previous one's output,
// so the first Affine learns it takes 16·5·5 = 400 values, and summary() prints every shape.
//   node dist/scripts/examples/homework2-lenet.js [--epochs 10] [--train-size n] [--test-size n] [--out dir]
import * as path from 'node:path';
import { Sequential } from '../../lib/networks/sequential';
import { Convolution, Relu, Pooling, Affine } from '../../lib/layers/index';
import { Trainer } from '../../lib/train/trainer';
import { plotTrainingCurvesToFile, plotFiltersToFile } from '../../lib/plot/index';
import { exampleArgs, mnistSubset } from './args';

const args = exampleArgs({ epochs: 10, out: 'runs/homework2' });
const { xTrain, tTrain, xTest, tTest } = mnistSubset(args);

const network = new Sequential({
  inputShape: [1, 28, 28],
  seed: 2,
  layers: [
    new Convolution({ filters: 6, kernelSize: 5, pad: 2, weightInit: 'he' }),
    new Relu(),
    new Pooling({ poolH: 2, stride: 2 }),
    new Convolution({ filters: 16, kernelSize: 5, weightInit: 'he' }),
    new Relu(),
    new Pooling({ poolH: 2, stride: 2 }),
    new Affine({ units: 120, weightInit: 'he' }),
    new Relu(),
    new Affine({ units: 84, weightInit: 'he' }),
    new Relu(),
    new Affine({ units: 10, weightInit: 'he' }),
  ],
});
console.log(network.summary());

const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
  epochs: args.epochs, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed: 2,
});
const history = trainer.train();
network.saveParams(path.join(args.out, 'params.safetensors'));
plotTrainingCurvesToFile(path.join(args.out, 'curves.png'), history, { title: 'LeNet (Sequential)' });
plotFiltersToFile(path.join(args.out, 'filters-conv1.png'), network.params.W1);
// The second convolution's 16 filters see 6 channels; the book's visualize_filter shows channel 0.
plotFiltersToFile(path.join(args.out, 'filters-conv2.png'), network.params.W2, { channel: 0 });
console.log(`test accuracy ${(history.testAccuracy! * 100).toFixed(2)}%; saved to ${args.out}`);
