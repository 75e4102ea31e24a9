// What ch07/train_convnet.py and ch08/train_deepnet.py share: the Trainer with Adam lr 0.001,
// batch 100 and per-epoch accuracies on the first evaluate_sample_num_per_epoch images, then
// the parameters saved (the book's pickle: safetensors here), the curves and results.json.
import * as path from 'node:path';
import type { Sequential } from '../../lib/networks/sequential';
import { plotTrainingCurvesToFile } from '../../lib/plot/curves';
import { Trainer } from '../../lib/train/trainer';
import { done, int, mnist, saveResults, type ScriptArgs } from './common';

export function trainAndSave(args: ScriptArgs, name: string, network: Sequential, paramsFile: string, title: string, yRange: 'full' | 'auto'): void {
  const start = performance.now();
  const { xTrain, tTrain, xTest, tTest } = mnist(false, args.num['train-size'], args.num['test-size']);
  const trainer = new Trainer(network, xTrain, tTrain, xTest, tTest, {
    epochs: int(args, 'epochs'), miniBatchSize: 100,
    optimizer: 'Adam', optimizerParam: { lr: 0.001 },
    evaluateSampleNumPerEpoch: int(args, 'eval-samples'), seed: args.seed,
  });
  const history = trainer.train();
  const params = path.join(args.out, paramsFile);
  network.saveParams(params);
  console.log(`Saved Network Parameters! (${params})`);
  const files = [path.join(args.out, `${name}.png`), path.join(args.out, `${name}.svg`)];
  for (const f of files) plotTrainingCurvesToFile(f, history, { title: `${title}, ${xTrain.count} training images`, yRange });
  const results = saveResults(args.out, {
    script: name, quick: args.quick, seed: args.seed,
    settings: { epochs: int(args, 'epochs'), trainSize: xTrain.count, testSize: xTest.count, evalSamples: int(args, 'eval-samples'), batchSize: 100, optimizer: 'Adam', lr: 0.001 },
    testAccuracy: history.testAccuracy, trainAccList: history.trainAccList, testAccList: history.testAccList,
    epochSeconds: history.epochSeconds, figure: { width: 1100, height: 460 },
  });
  done([...files, params, results], start);
}
