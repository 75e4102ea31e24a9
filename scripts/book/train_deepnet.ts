// The book's ch08/train_deepnet.py (its network is ch08/deep_convnet.py's DeepConvNet: six 3×3
// convolutions of 16, 16, 32, 32, 64, 64 filters, three poolings, Affine 50, Dropout 0.5,
// Affine 10, Dropout 0.5, He init): trained by the Trainer on the full MNIST, Adam lr 0.001,
// batch 100, 20 epochs, accuracies each epoch on the first 1,000 images, the final one on the
// full test set; the parameters saved for misclassified_mnist (the book's
// deep_convnet_params.pkl: deep_convnet_params.safetensors here).
//   scratchnet example train_deepnet [--epochs 20] [--train-size n] [--out dir]   (also: deep_convnet)
import { DeepConvNet } from '../../lib/networks/presets';
import { scriptArgs } from './common';
import { trainAndSave } from './train-with-trainer';

const args = scriptArgs({
  name: 'train_deepnet',
  book: 'ch08/train_deepnet.py',
  about: 'DeepConvNet on the full MNIST (≈ 99.3%); curves and the trained parameters',
  options: {
    epochs: { default: 20, quick: 1, help: 'epochs' },
    'train-size': { default: null, quick: 200, help: 'first n training images' },
    'test-size': { default: null, quick: 100, help: 'first n test images' },
    'eval-samples': { default: 1000, quick: 100, help: 'images behind each epoch\'s accuracies (the book\'s evaluate_sample_num_per_epoch)' },
  },
});
trainAndSave(args, 'train_deepnet', new DeepConvNet({ seed: args.seed }), 'deep_convnet_params.safetensors', 'DeepConvNet', 'auto');
