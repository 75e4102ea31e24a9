// The book's ch07/visualize_filter.py: SimpleConvNet's 30 first-layer filters (5×5) as small
// pictures, 8 to a row, drawn as the book draws them (gray_r: large weights dark) — once freshly
// initialised (random noise) and once after training, where they have become edge and blob
// detectors. The trained parameters come from train_convnet, as the book loads its params.pkl.
//   scratchnet example visualize_filter [--params runs/train_convnet/params.safetensors] [--out dir]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimpleConvNet } from '../../lib/networks/presets';
import { plotFiltersToFile } from '../../lib/plot/filters';
import { done, saveResults, scriptArgs, trainedParams } from './common';

const args = scriptArgs({
  name: 'visualize_filter',
  book: 'ch07/visualize_filter.py',
  about: 'the first convolution\'s filters before and after training',
  options: {},
  paths: { params: { help: 'trained SimpleConvNet parameters (default runs/train_convnet/params.safetensors, what train_convnet writes)' } },
});
const start = performance.now();
const paramsFile = trainedParams(args, 'train_convnet', 'params.safetensors');
fs.mkdirSync(args.out, { recursive: true });
const network = new SimpleConvNet({ seed: args.seed });
// The book's filter_show(filters, nx=8): ランダム初期化後の重み (the weights right after random initialisation) …
const before = path.join(args.out, 'filters-random.png');
plotFiltersToFile(before, network.params.W1, { cols: 8, cmap: 'gray_r' });
// … and 学習後の重み (after learning).
network.loadParams(paramsFile);
const after = path.join(args.out, 'filters-learned.png');
plotFiltersToFile(after, network.params.W1, { cols: 8, cmap: 'gray_r' });
const results = saveResults(args.out, {
  script: 'visualize_filter', params: paramsFile, filters: network.params.W1.shape, files: [before, after],
});
done([before, after, results], start);
