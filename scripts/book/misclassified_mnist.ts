// The book's ch08/misclassified_mnist.py: the trained DeepConvNet classifies the full test set in
// batches of 100; its accuracy, and the first 20 test images it gets wrong in a 4 × 5 grid, each
// with its label and the network's answer ("t:7 p:2" — the book prints them as {view: (label,
// inference)}). The parameters come from train_deepnet, as the book loads deep_convnet_params.pkl.
//   scratchnet example misclassified_mnist [--params runs/train_deepnet/deep_convnet_params.safetensors] [--test-size n]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeepConvNet } from '../../lib/networks/presets';
import { plotMisclassifiedToFile, misclassifiedIndices } from '../../lib/plot/misclassified';
import { acc, done, mnist, saveResults, scriptArgs, trainedParams } from './common';

const MAX_VIEW = 20;

const args = scriptArgs({
  name: 'misclassified_mnist',
  book: 'ch08/misclassified_mnist.py',
  about: 'the test images DeepConvNet gets wrong, with label and prediction',
  options: {
    'test-size': { default: null, quick: 300, help: 'first n test images' },
  },
  paths: { params: { help: 'trained DeepConvNet parameters (default runs/train_deepnet/deep_convnet_params.safetensors, what train_deepnet writes)' } },
});
const start = performance.now();
const paramsFile = trainedParams(args, 'train_deepnet', 'deep_convnet_params.safetensors');
const { xTest, tTest } = mnist(false, 1, args.num['test-size']);
const network = new DeepConvNet();
network.loadParams(paramsFile);
console.log('calculating test accuracy ... ');
// The book's loop: predict(tx, train_flg=False) over batches of 100, argmax per row.
const predictions = network.predictClasses(xTest, { batchSize: 100 });
const wrong = misclassifiedIndices(tTest.labels, predictions);
const accuracy = 1 - wrong.length / xTest.count;
console.log(`test accuracy:${acc(accuracy)} (${wrong.length} of ${xTest.count} wrong)`);
console.log('======= misclassified result =======');
console.log('{view index: (label, inference), ...}');
const pairs: Record<number, [number, number]> = {};
wrong.slice(0, MAX_VIEW).forEach((i, v) => { pairs[v + 1] = [tTest.labels[i], predictions[i]]; });
console.log(JSON.stringify(pairs).replace(/"(\d+)":\[(\d),(\d)\]/g, '$1: ($2, $3)').replace(/,(?=\d+:)/g, ', '));
const png = path.join(args.out, 'misclassified_mnist.png');
fs.mkdirSync(args.out, { recursive: true });
plotMisclassifiedToFile(png, xTest, tTest.labels, predictions, {
  max: MAX_VIEW, cols: 5, title: `DeepConvNet: ${wrong.length} of ${xTest.count} test images wrong (${(accuracy * 100).toFixed(2)}%), the first ${Math.min(MAX_VIEW, wrong.length)}`,
});
const results = saveResults(args.out, {
  script: 'misclassified_mnist', params: paramsFile, testSize: xTest.count, testAccuracy: accuracy,
  misclassified: wrong.map((i) => ({ index: i, label: tTest.labels[i], prediction: predictions[i] })),
});
done([png, results], start);
