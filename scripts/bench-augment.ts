// What augmentation costs: SimpleConvNet epochs on full MNIST (batch 100, Adam 0.001, shuffle,
// native backend) with and without `augment`, in interleaved rounds (none, then each setting, then
// none again …) so the machine's load drifts over all of them alike; the median epoch time of
// each and its ratio to the plain run. Also the batch gather alone (plain vs warped), per batch.
//
//   node dist/scripts/bench-augment.js [--rounds N] [--augment SPEC]... [--train-size N] [--threads N] [--json]
//
// Default settings: shift=2,rotate=10,scale=0.1 and the same with elastic=34:4.
import { loadMnist } from '../lib/data/mnist';
import { Augmenter, checkAugmentOptions, formatAugment, parseAugmentSpec, type AugmentSettings } from '../lib/data/augment';
import { createPreset } from '../lib/networks/presets';
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
  help: { type: 'boolean', default: false },
}, USAGE);
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
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
 * One epoch with the given augmentation: its training seconds (evaluation excluded), and the
 * process's CPU seconds over it (user + system, every thread; on a machine shared with other
 * jobs this counts the work done rather than the waiting for a core).
 */
function epoch(augment: AugmentSettings | null, seed: number): { wall: number; cpu: number } {
  const net = createPreset('simple-convnet', { backend, seed });
  const trainer = new Trainer(net, xTrain, tTrain, xTest, tTest, {
    epochs: 1, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed,
    trainAcc: 'running', verbose: false, augment,
  });
  const before = process.cpuUsage();
  const wall = trainer.train().epochSeconds[0];
  const used = process.cpuUsage(before);
  return { wall, cpu: (used.user + used.system) / 1e6 };
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
const cpuTimes: number[][] = settings.map(() => []);
epoch(null, 99); // warm-up: GEMM choice, buffers, JIT
for (let r = 0; r < rounds; r++) {
  settings.forEach((s, i) => {
    const { wall, cpu } = epoch(s, r);
    epochTimes[i].push(wall);
    cpuTimes[i].push(cpu);
    if (!values.json) process.stdout.write(`round ${r + 1}/${rounds}: ${formatAugment(s)}: ${wall.toFixed(2)} s (${cpu.toFixed(2)} CPU s)\n`);
  });
}
const plain = median(epochTimes[0]);
const plainCpu = median(cpuTimes[0]);
const rows = settings.map((s, i) => ({
  augment: formatAugment(s), settings: s, epochSeconds: epochTimes[i], medianEpochSeconds: median(epochTimes[i]),
  ratio: median(epochTimes[i]) / plain, cpuSeconds: cpuTimes[i], cpuRatio: median(cpuTimes[i]) / plainCpu,
  gatherMsPerBatch: gatherMs(s),
}));
const info = backend.info();
if (values.json) {
  process.stdout.write(JSON.stringify({ trainSize, rounds, simd: info.simd, threads: info.threads, rows }) + '\n');
} else {
  process.stdout.write(`\nSimpleConvNet, ${trainSize} images per epoch, batch 100, native ${info.simd} ×${info.threads} threads, median of ${rounds} epochs each:\n`);
  for (const r of rows) {
    process.stdout.write(`  ${r.augment.padEnd(52)} ${r.medianEpochSeconds.toFixed(2)} s/epoch  ×${r.ratio.toFixed(3)}` +
      `   CPU ×${r.cpuRatio.toFixed(3)}   gather ${r.gatherMsPerBatch.toFixed(3)} ms/batch\n`);
  }
}
