// A network of your own: any stack of the book's layers, described in code or as JSON (the
// CLI's --model file format). A stack that cannot fit fails when it is built, naming the layer.
//   node dist/scripts/examples/custom-sequential.js [--epochs 3] [--train-size n] [--test-size n] [--out dir]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sequential } from '../../lib/networks/sequential';
import { Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu } from '../../lib/layers/index';
import { Trainer } from '../../lib/train/trainer';
import { ShapeError } from '../../lib/tensor/shape';
import { exampleArgs, mnistSubset } from './args';

const args = exampleArgs({ epochs: 3, out: 'runs/custom-sequential' });
const { xTrain, tTrain, xTest, tTest } = mnistSubset(args);

// Two 3×3 convolutions with batch normalisation, then a dropout-regularised classifier.
const network = new Sequential({
  inputShape: [1, 28, 28],
  seed: 7,
  layers: [
    new Convolution({ filters: 16, kernelSize: 3, pad: 1, weightInit: 'he' }),
    new BatchNormalization(),
    new Relu(),
    new Pooling({ poolH: 2 }),
    new Convolution({ filters: 32, kernelSize: 3, pad: 1, weightInit: 'he' }),
    new BatchNormalization(),
    new Relu(),
    new Pooling({ poolH: 2 }),
    new Affine({ units: 64, weightInit: 'he' }),
    new Relu(),
    new Dropout({ ratio: 0.3 }),
    new Affine({ units: 10, weightInit: 'he' }),
  ],
});
console.log(network.summary());

// The same network as a model file: `scratchnet train --model custom.json` trains it too.
fs.mkdirSync(args.out, { recursive: true });
fs.writeFileSync(path.join(args.out, 'custom.json'), JSON.stringify(network.toConfig(), null, 2));

// A stack that does not fit is refused at construction, before any data is touched.
try {
  new Sequential({ inputShape: [1, 28, 28], layers: [new Pooling({ poolH: 2 }), new Pooling({ poolH: 2 }), new Pooling({ poolH: 2 }), new Convolution({ filters: 4, kernelSize: 5 })] });
} catch (e) {
  if (!(e instanceof ShapeError)) throw e;
  console.log(`as expected, a bad stack is refused: ${e.message}`);
}

const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
  epochs: args.epochs, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed: 7,
});
const history = trainer.train();
network.saveParams(path.join(args.out, 'params.safetensors'));
console.log(`test accuracy ${(history.testAccuracy! * 100).toFixed(2)}%; model file and parameters in ${args.out}`);
