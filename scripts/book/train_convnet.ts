// The book's ch07/train_convnet.py: SimpleConvNet (conv 30 5×5 – ReLU – pool 2 – Affine 100 –
// ReLU – Affine 10) trained by the Trainer on the full MNIST: Adam lr 0.001, batch 100, 20
// epochs, each epoch's accuracies on the first 1,000 training and test images (the book's
// evaluate_sample_num_per_epoch), the final one on the full test set; the parameters saved
// (the book's params.pkl: params.safetensors here) for visualize_filter; the accuracy and loss curves.
//   scratchnet example train_convnet [--epochs 20] [--train-size n] [--test-size n] [--out dir]
import { SimpleConvNet } from '../../lib/networks/presets';
import { scriptArgs } from './common';
import { trainAndSave } from './train-with-trainer';

const args = scriptArgs({
  name: 'train_convnet',
  book: 'ch07/train_convnet.py',
  about: 'SimpleConvNet on the full MNIST with Adam; accuracy curves and the trained parameters',
  options: {
    epochs: { default: 20, quick: 1, help: 'epochs' },
    'train-size': { default: null, quick: 500, help: 'first n training images' },
    'test-size': { default: null, quick: 200, help: 'first n test images' },
    'eval-samples': { default: 1000, quick: 100, help: 'images behind each epoch\'s accuracies (the book\'s evaluate_sample_num_per_epoch)' },
  },
});
const network = new SimpleConvNet({
  inputDim: [1, 28, 28],
  convParam: { filterNum: 30, filterSize: 5, pad: 0, stride: 1 },
  hiddenSize: 100, outputSize: 10, weightInitStd: 0.01, seed: args.seed,
});
trainAndSave(args, 'train_convnet', network, 'params.safetensors', 'SimpleConvNet', 'full');
