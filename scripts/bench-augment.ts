// What augmentation costs: SimpleConvNet epochs on full MNIST (batch 100, Adam 0.001, shuffle,
// native backend) with and without `augment`, their steps interleaved (so the machine's load
// falls on all of them alike), in rounds of one epoch each: the median epoch time of each setting
// and the median of its per-round ratio to the plain epoch. Also the batch gather alone (plain vs
// warped), per batch.
//
//   node dist/scripts/bench-augment.js [--rounds N] [--augment SPEC]... [--train-size N] [--threads N] [--json]
//
// Default settings: shift=2,rotate=10,scale=0.1 and the same with elastic=34:4.
import { loadMnist } from '../lib/data/mnist';
import { Augmenter, checkAugmentOptions, formatAugment, parseAugmentSpec, type AugmentSettings } from '../lib/data/augment';
import { createPreset } from '../lib/networks/resolve';
import { Trainer } from '../lib/train/trainer';
import { failFor, intFlag, median, parseFlags, requireNative } from './bench-util';

const fail = failFor('bench-augment');
const USAGE = 'node dist/scripts/bench-augment.js [--rounds N] [--augment SPEC]... [--train-size N] [--threads N] [--json]\n';
const values = parseFlags(fail, {
  rounds: { type: 'string', default: '3' },
  augment: { type: 'string', multiple: true },
  'train-size': { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean', default: false },
}, USAGE);
const rounds = intFlag(fail, 'rounds', values.rounds)!;
const backend = requireNative(fail, intFlag(fail, 'threads', values.threads));
const specs = values.augment ?? ['shift=2,rotate=10,scale=0.1', 'shift=2,rotate=10,scale=0.1,elastic=34:4'];
const settings: Array<AugmentSettings | null> = [null, ...specs.map((s) => {
  try {
    return checkAugmentOptions('--augment', parseAugmentSpec(s));
  } catch (e) {
    return fail((e as Error).message);
  }
})];

const data = loadMnist({ flatten: false });
const trainSize = intFlag(fail, 'train-size', values['train-size']) ?? data.xTrain.count;
const xTrain = data.xTrain.slice(0, trainSize);
const tTrain = data.tTrain.slice(0, trainSize);
const xTest = data.xTest.slice(0, 100);
const tTest = data.tTest.slice(0, 100);

/**
 * One epoch per setting, their steps interleaved (step 1 of each setting, then step 2 of each …,
 * each setting first in turn):
 * on a machine shared with other jobs every setting sees the same load, so the ratios hold even
 * when the absolute times do not. Returns each setting's summed step seconds.
 */
function interleavedEpoch(seed: number): number[] {
  const trainers = settings.map((augment) => new Trainer(createPreset('simple-convnet', { backend, seed }), xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed,
    trainAcc: 'running', verbose: false, augment,
  }));
  const seconds = settings.map(() => 0);
  for (let i = 0; i < trainers[0].maxIter; i++) {
    // Each setting goes first in turn: no setting always follows the same one.
    for (let j = 0; j < trainers.length; j++) {
      const k = (i + j) % trainers.length;
      const t0 = process.hrtime.bigint();
      trainers[k].step();
      seconds[k] += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }
  return seconds;
}

/** Median milliseconds to gather one batch of 100, plainly or warped. */
function gatherMs(augment: AugmentSettings | null): number {
  const out = new Float32Array(100 * 784);
  const perm = Int32Array.from({ length: xTrain.count }, (_, i) => (i * 7919) % xTrain.count);
  const aug = augment ? new Augmenter('bench', augment, xTrain.sampleShape, 100, 0) : null;
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < 100; s++) {
      const start = (s * 100) % (xTrain.count - 100);
      if (aug) aug.gather(xTrain, perm, start, start + 100, out, s);
      else xTrain.gather(perm, start, start + 100, out);
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / 100);
  }
  return median(times);
}

const epochTimes: number[][] = settings.map(() => []);
const ratios: number[][] = settings.map(() => []);
for (let r = 0; r < rounds; r++) {
  const sec = interleavedEpoch(r);
  sec.forEach((x, i) => {
    epochTimes[i].push(x);
    ratios[i].push(x / sec[0]);
  });
  if (!values.json) {
    process.stdout.write(`round ${r + 1}/${rounds}: ${settings.map((s, i) => `${formatAugment(s)} ${sec[i].toFixed(2)} s`).join(' | ')}\n`);
  }
}
const rows = settings.map((s, i) => ({
  augment: formatAugment(s), settings: s, epochSeconds: epochTimes[i], medianEpochSeconds: median(epochTimes[i]),
  ratios: ratios[i], medianRatio: median(ratios[i]), gatherMsPerBatch: gatherMs(s),
}));
const info = backend.info();
if (values.json) {
  process.stdout.write(JSON.stringify({ trainSize, rounds, simd: info.simd, threads: info.threads, rows }) + '\n');
} else {
  process.stdout.write(`\nSimpleConvNet, ${trainSize} images per epoch, batch 100, native ${info.simd} ×${info.threads} threads, ${rounds} rounds of interleaved epochs:\n`);
  for (const r of rows) {
    process.stdout.write(`  ${r.augment.padEnd(56)} ${r.medianEpochSeconds.toFixed(2)} s/epoch  ×${r.medianRatio.toFixed(3)} (median of the rounds' ratios)` +
      `   gather alone ${r.gatherMsPerBatch.toFixed(3)} ms/batch\n`);
  }
}
