// The limit, measured where you stand (issue 8). For each of the book's presets: one training
// epoch (full MNIST, batch 100, Adam lr 0.001, shuffle, native backend) as a multiple of this
// machine's compute floor — the epoch's dense GEMM FLOPs over the FMA peak the addon measures —
// and against PyTorch training the same network in the same run; plus what the per-epoch
// evaluation (at `scratchnet train`'s defaults) and inference cost next to training. Targets are
// reported, never asserted.
//
//   node dist/scripts/bench-floor.js [--model simple-convnet|lenet5|deep-convnet|all] [--epochs N]
//     [--torch-epochs N] [--seeds a,b] [--train-size N] [--threads N] [--peak-seconds S]
//     [--python PATH] [--no-torch] [--torch-full-isa] [--json]
import * as os from 'node:os';
import { loadMnist } from '../lib/data/mnist';
import { gemmFlops } from '../lib/networks/flops';
import { createPreset } from '../lib/networks/resolve';
import { Trainer } from '../lib/train/trainer';
import { TRAIN_DEFAULTS } from '../lib/cli/train';
import { failFor, intFlag, median, parseFlags, requireNative, seedList } from './bench-util';
import { describeMachine, measurePeak, type Machine, type Peak } from './bench-floor/machine';
import { medianOrNull, pairedRatios, type EpochPair } from './bench-floor/pairs';
import { findTorch, torchIsaCaps, trainWithTorch, type TorchPython, type TorchRun } from './bench-floor/torch';
import type { NativeBackend } from '../lib/backend/native';

const MODELS = ['simple-convnet', 'lenet5', 'deep-convnet'] as const;
type Model = (typeof MODELS)[number];

/** Issue 8's targets: epoch ÷ compute floor at most `floor`, at least `torch` × PyTorch's speed per training image. */
const TARGETS: Record<Model, { floor: number; torch: number }> = {
  'simple-convnet': { floor: 2.0, torch: 4 },
  'lenet5': { floor: 2.5, torch: 3 },
  'deep-convnet': { floor: 2.0, torch: 1.5 },
};
const EVAL_SHARE_TARGET = 0.1;
/** MNIST's training set: the epoch the evaluation target is stated for. */
const FULL_EPOCH = 60000;
const INFERENCE_TARGET = 3;
/** Short by default (the machine is shared); the final figures use more. */
const DEFAULT_EPOCHS: Record<Model, number> = { 'simple-convnet': 3, 'lenet5': 3, 'deep-convnet': 1 };

const fail = failFor('bench-floor');
const USAGE =
  'node dist/scripts/bench-floor.js [--model simple-convnet|lenet5|deep-convnet|all] [--epochs N] [--torch-epochs N]\n' +
  '                                 [--seeds a,b] [--train-size N] [--threads N] [--peak-seconds S] [--python PATH] [--no-torch]\n' +
  '                                 [--torch-full-isa] [--json]\n' +
  'With SCRATCHNET_SIMD forcing a narrower path than the CPU\'s widest, PyTorch is capped at the same ISA\n' +
  '(ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY) unless --torch-full-isa or those variables are set.\n' +
  `Default epochs: ${MODELS.map((m) => `${m} ${DEFAULT_EPOCHS[m]}`).join(', ')}. Each PyTorch epoch (--torch-epochs, default: as many as\n` +
  'scratchnet\'s) runs right after one of scratchnet\'s, and the FMA peak is measured again before and after every epoch:\n' +
  'each ratio is the median of per-epoch ratios of measurements taken side by side (the shared machine\'s speed drifts).\n';

const values = parseFlags(fail, {
  model: { type: 'string', default: 'all' },
  epochs: { type: 'string' },
  'torch-epochs': { type: 'string' },
  seeds: { type: 'string', default: '0' },
  'train-size': { type: 'string' },
  threads: { type: 'string' },
  'peak-seconds': { type: 'string', default: '1' },
  python: { type: 'string' },
  'no-torch': { type: 'boolean', default: false },
  'torch-full-isa': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
}, USAGE);


const models: readonly Model[] = values.model === 'all'
  ? MODELS
  : (MODELS as readonly string[]).includes(values.model!) ? [values.model as Model] : fail(`unknown --model '${values.model}'. Valid: ${MODELS.join(', ')}, all.`);
const epochsFlag = intFlag(fail, 'epochs', values.epochs);
const torchEpochsFlag = intFlag(fail, 'torch-epochs', values['torch-epochs']);
const trainSizeFlag = intFlag(fail, 'train-size', values['train-size'], 100);
const threads = intFlag(fail, 'threads', values.threads);
const seeds = seedList(fail, values.seeds!);
const peakSeconds = Number(values['peak-seconds']);
if (!(peakSeconds > 0 && peakSeconds <= 60)) fail(`--peak-seconds must be a number in (0, 60], received '${values['peak-seconds']}'.`);

interface ModelResult {
  model: Model;
  trainSize: number;
  testSize: number;
  imagesPerEpoch: number;
  epochs: number;
  seeds: number[];
  params: number;
  /** Dense GEMM FLOPs of one training epoch. */
  epochGflop: number;
  /** Median over every epoch of every seed. */
  secondsPerEpoch: number;
  epochSeconds: number[];
  trainImagesPerSecond: number;
  testAccuracy: number[];
  /** Median of the FMA peaks measured around the epochs; null without a peak. */
  peakMedian: number | null;
  /** Compute floor: epochGflop ÷ peakMedian; null without a peak. */
  floorSeconds: number | null;
  /** Median of timesFloorPerEpoch: each epoch against the peaks measured just before and after it. */
  timesFloor: number | null;
  timesFloorPerEpoch: number[];
  /** Each epoch with the peaks and the PyTorch epoch measured beside it. */
  pairs: EpochPair[];
  /** Evaluation at `scratchnet train`'s defaults: the full test set, forward only, running train accuracy. */
  evalBatchSize: number;
  evalSeconds: number;
  evalShare: number;
  /** evalShare scaled to a full 60,000-image epoch (the same when the epoch is full). */
  evalShareFull: number;
  inferenceImagesPerSecond: number;
  inferenceOverTraining: number;
  /** fasterPerImage: the median of pairedRatios, each scratchnet epoch against the PyTorch epoch run right after it. */
  torch: (TorchRun & { secondsPerEpoch: number; fasterPerImage: number; pairedRatios: number[] }) | { unavailable: string } | null;
  meets: { floor: boolean | null; torch: boolean | null; evalShare: boolean; inference: boolean };
}

function log(line: string): void {
  if (!values.json) process.stdout.write(line + '\n');
}

/** withPeaks: the FMA peak can be measured (it is, around every epoch). */
function benchModel(model: Model, withPeaks: boolean, py: TorchPython | { unavailable: string } | null,
  torchEnv: Record<string, string>): ModelResult {
  const backend = requireNative(fail, threads);
  const data = loadMnist({ flatten: false });
  const trainSize = Math.min(trainSizeFlag ?? data.xTrain.count, data.xTrain.count);
  const xTrain = data.xTrain.slice(0, trainSize);
  const tTrain = data.tTrain.slice(0, trainSize);
  const epochs = epochsFlag ?? DEFAULT_EPOCHS[model];
  const torchEpochs = py && !('unavailable' in py) ? Math.min(torchEpochsFlag ?? epochs, epochs * seeds.length) : 0;
  const pairs: EpochPair[] = [];
  const torchRuns: TorchRun[] = [];
  const testAccuracy: number[] = [];
  let imagesPerEpoch = 0;
  let evalBatchSize = 0;
  let peakBefore = withPeaks ? remeasurePeak(backend) : null;
  let net = createPreset(model, { backend, seed: seeds[0] });
  for (const seed of seeds) {
    net = createPreset(model, { backend, seed });
    const trainer = new Trainer(net, xTrain, tTrain, data.xTest, data.tTest, {
      epochs, miniBatchSize: TRAIN_DEFAULTS.miniBatchSize, optimizer: 'Adam', optimizerParam: { lr: 0.001 },
      sampling: 'shuffle', trainAcc: TRAIN_DEFAULTS.trainAcc, seed, verbose: false,
      onEpoch: (e) => {
        // Measured between epochs, outside the epoch's timed steps.
        const peakAfter = withPeaks ? remeasurePeak(backend) : null;
        let torchSeconds: number | null = null;
        if (torchRuns.length < torchEpochs) {
          try {
            const r = trainWithTorch(py as TorchPython, net, { epochs: 1, seed: seeds[0], trainSize, threads: backend.getNumThreads(), env: torchEnv });
            torchRuns.push(r);
            torchSeconds = r.epochSeconds[0];
          } catch (err) {
            fail(`${model}: ${(err as Error).message}`);
          }
        }
        pairs.push({ seconds: e.seconds, evalSeconds: e.evalSeconds, peakBefore, peakAfter, torchSeconds });
        log(`  [${model} seed ${seed}] epoch ${e.epoch}/${e.epochs}: ${e.seconds.toFixed(2)} s training, ` +
          `${e.evalSeconds.toFixed(2)} s evaluation, test acc ${e.testAcc !== null ? e.testAcc.toFixed(4) : `(not measured: validation acc ${e.valAcc!.toFixed(4)})`}` +
          (peakAfter === null ? '' : `; FMA peak before/after ${peakBefore === null ? '—' : peakBefore.toFixed(0)}/${peakAfter.toFixed(0)} GFLOP/s`) +
          (torchSeconds === null ? '' : `; PyTorch epoch right after: ${torchSeconds.toFixed(2)} s`));
        peakBefore = peakAfter;
      },
    });
    imagesPerEpoch = trainer.stepsPerEpoch * trainer.batchSize;
    evalBatchSize = trainer.evalBatchSize;
    testAccuracy.push(trainer.train().testAccuracy!);
  }
  const flops = gemmFlops(net);
  const epochGflop = (flops.training * imagesPerEpoch) / 1e9;
  const epochSeconds = pairs.map((p) => p.seconds);
  const evalSeconds = pairs.map((p) => p.evalSeconds);
  const secondsPerEpoch = median(epochSeconds);
  const trainImagesPerSecond = imagesPerEpoch / secondsPerEpoch;
  const evalMedian = median(evalSeconds);
  const peaks = pairs.flatMap((p) => [p.peakBefore, p.peakAfter]).filter((x): x is number => x !== null);
  const peakMedian = peaks.length > 0 ? median(peaks) : null;
  const ratios = pairedRatios(pairs, {
    epochGflop, imagesPerEpoch, torchImagesPerEpoch: torchRuns[0]?.imagesPerEpoch ?? imagesPerEpoch, testImages: data.xTest.count,
  });
  const floorSeconds = peakMedian === null ? null : epochGflop / peakMedian;
  const timesFloor = medianOrNull(ratios.timesFloor);
  const params = Object.values(net.params).reduce((a, p) => a + p.size, 0);

  let torch: ModelResult['torch'] = null;
  if (py && 'unavailable' in py) torch = py;
  else if (torchRuns.length > 0) {
    const r = torchRuns[0];
    const torchSeconds = torchRuns.map((x) => x.epochSeconds[0]);
    torch = {
      ...r, epochSeconds: torchSeconds, testAccuracy: median(torchRuns.map((x) => x.testAccuracy)),
      secondsPerEpoch: median(torchSeconds), fasterPerImage: medianOrNull(ratios.fasterThanTorch)!, pairedRatios: ratios.fasterThanTorch,
    };
  }
  const t = TARGETS[model];
  const evalShare = median(ratios.evalShare);
  // The target is per epoch at the CLI's defaults, a full one: a --train-size epoch is shorter but
  // its evaluation is not, so the share is judged as a full epoch's.
  const evalShareFull = evalShare * Math.min(1, imagesPerEpoch / FULL_EPOCH);
  const inferenceOverTraining = median(ratios.inferenceOverTraining);
  return {
    model, trainSize, testSize: data.xTest.count, imagesPerEpoch, epochs, seeds, params, epochGflop,
    secondsPerEpoch, epochSeconds, trainImagesPerSecond, testAccuracy, peakMedian, floorSeconds, timesFloor,
    timesFloorPerEpoch: ratios.timesFloor, pairs,
    evalBatchSize, evalSeconds: evalMedian, evalShare, evalShareFull,
    inferenceImagesPerSecond: data.xTest.count / evalMedian, inferenceOverTraining, torch,
    meets: {
      floor: timesFloor === null ? null : timesFloor <= t.floor,
      torch: torch && 'fasterPerImage' in torch ? torch.fasterPerImage >= t.torch : null,
      evalShare: evalShareFull <= EVAL_SHARE_TARGET,
      inference: inferenceOverTraining >= INFERENCE_TARGET,
    },
  };
}

function remeasurePeak(native: NativeBackend): number | null {
  const p = measurePeak(native, peakSeconds);
  return 'unavailable' in p ? null : p.gflops;
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const verdict = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : 'NOT met');

function header(machine: Machine, peak: Peak | { unavailable: string }, py: TorchPython | { unavailable: string } | null,
  torchEnv: Record<string, string>): string[] {
  const a = machine.addon;
  const forced = process.env.SCRATCHNET_SIMD ? ` (SCRATCHNET_SIMD=${process.env.SCRATCHNET_SIMD})` : '';
  return [
    `CPU: ${machine.cpu}, ${machine.cores} cores; vector ISA: ${machine.isa}`,
    `scratchnet kernels: SIMD path ${a.simd}${forced} of ${a.supportedTargets.join(', ')}, GEMM ${a.gemm} (${a.gemmReason}), ` +
      `OpenBLAS core ${a.openblasCoreName}, ${a.threads} threads`,
    'unavailable' in peak
      ? `FMA peak: unavailable (${peak.unavailable})`
      : `FMA peak: ${fmt(peak.gflops, 1)} GFLOP/s (${peak.threads} threads, ${peak.simd}, measured over ${peak.seconds} s)`,
    py === null ? 'PyTorch: skipped (--no-torch)'
      : 'unavailable' in py ? `PyTorch: unavailable: ${py.unavailable}`
        : `PyTorch: ${py.version} (${py.python}), OPENBLAS_NUM_THREADS=1` + (Object.keys(torchEnv).length === 0 ? ''
          : `, ${Object.entries(torchEnv).map(([k, v]) => `${k}=${v}`).join(' ')} (capped at scratchnet's ${a.simd} path; --torch-full-isa to lift)`),
    loadLine('at the start'),
    `targets (issue 8): epoch ÷ compute floor ${MODELS.map((m) => `${m} ≤ ${TARGETS[m].floor}×`).join(', ')}; ` +
      `faster than PyTorch per training image ${MODELS.map((m) => `${m} ≥ ${TARGETS[m].torch}×`).join(', ')}; ` +
      `evaluation ≤ ${EVAL_SHARE_TARGET * 100}% of training per epoch; inference ≥ ${INFERENCE_TARGET}× training img/s`,
  ];
}

/**
 * The machine is shared: the 1-minute load average says whether other work ran beside the
 * benchmark (above the core count, every figure is slower than on a quiet machine).
 */
function loadLine(when: string): string {
  const load = os.loadavg()[0];
  const cores = os.cpus().length;
  return `load average ${when}: ${load.toFixed(2)} on ${cores} cores` +
    (load > cores ? ' — other work was running; expect slower figures than on a quiet machine' : '');
}

function report(r: ModelResult): string[] {
  const t = TARGETS[r.model];
  const lines = [
    '',
    `${r.model}: ${r.trainSize} training / ${r.testSize} test images, batch 100, Adam 0.001, shuffle; ` +
      `${r.epochs} epoch(s) × seed(s) ${r.seeds.join(', ')}; ${int(r.params)} parameters`,
    `  dense GEMM work: ${fmt(r.epochGflop, 1)} GFLOP per epoch (${int(r.imagesPerEpoch)} images)`,
    `  scratchnet: ${fmt(r.secondsPerEpoch)} s/epoch (median of ${r.epochSeconds.length}), ${int(r.trainImagesPerSecond)} img/s; ` +
      `test accuracy ${r.testAccuracy.map((a) => `${(a * 100).toFixed(2)}%`).join(', ')}`,
    r.floorSeconds === null
      ? `  compute floor: not measured (no FMA peak)`
      : `  compute floor: ${fmt(r.floorSeconds)} s at the median peak ${fmt(r.peakMedian!, 1)} GFLOP/s → epoch = ${fmt(r.timesFloor!, 1)}× the floor ` +
        `(median of each epoch against the peaks around it: ${r.timesFloorPerEpoch.map((x) => fmt(x)).join(', ')})   target ≤ ${t.floor}×: ${verdict(r.meets.floor)}`,
  ];
  const tr = r.torch;
  if (tr === null) lines.push('  PyTorch: skipped');
  else if ('unavailable' in tr) lines.push(`  PyTorch: unavailable`);
  else {
    lines.push(
      `  PyTorch ${tr.torch} (${tr.threads} threads, ${int(tr.params)} parameters = scratchnet's): ${fmt(tr.secondsPerEpoch)} s/epoch ` +
        `(median of ${tr.epochSeconds.length}, each run right after one of scratchnet's), test accuracy after its one epoch ${(tr.testAccuracy * 100).toFixed(2)}% (median) → ` +
        `scratchnet ${fmt(tr.fasterPerImage)}× as fast per training image (median of the pairs: ${tr.pairedRatios.map((x) => fmt(x)).join(', ')})   ` +
        `target ≥ ${t.torch}×: ${verdict(r.meets.torch)}`,
    );
  }
  lines.push(
    `  evaluation (full test set, forward only, batch ${r.evalBatchSize}; train acc running): ${fmt(r.evalSeconds)} s/epoch = ` +
      `${fmt(r.evalShare * 100, 1)}% of training   target ≤ ${EVAL_SHARE_TARGET * 100}%: ${verdict(r.meets.evalShare)}` +
      // A --train-size epoch is shorter but the test set is not: say what a full epoch would give.
      (r.imagesPerEpoch < FULL_EPOCH
        ? ` (a ${int(r.imagesPerEpoch)}-image epoch; scaled to ${int(FULL_EPOCH)} images ≈ ${fmt(r.evalShareFull * 100, 1)}%, which the target judges)`
        : ''),
    `  inference: ${int(r.inferenceImagesPerSecond)} img/s = ${fmt(r.inferenceOverTraining)}× training img/s (median of the epochs' own ratios)   ` +
      `target ≥ ${INFERENCE_TARGET}×: ${verdict(r.meets.inference)}`,
  );
  return lines;
}

/** The README's table, ready to paste (the peak in every row, so rows of separate runs can share a table). */
function table(results: ModelResult[]): string[] {
  const rows = [
    '| model | s / epoch | FMA peak GFLOP/s | compute floor | × floor | PyTorch s / epoch | faster than PyTorch | eval % of epoch | inference ÷ training img/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const tr = r.torch && 'fasterPerImage' in r.torch ? r.torch : null;
    const mark = (ok: boolean | null) => (ok === null ? '' : ok ? ' ✔' : ' ✘');
    const peakText = r.peakMedian === null ? '—' : fmt(r.peakMedian, 0);
    rows.push(`| ${r.model} (${fmt(r.epochGflop, 1)} GFLOP, ${int(r.imagesPerEpoch)} images) | ${fmt(r.secondsPerEpoch)} | ${peakText} | ` +
      `${r.floorSeconds === null ? '—' : `${fmt(r.floorSeconds)} s`} | ${r.timesFloor === null ? '—' : `${fmt(r.timesFloor, 1)}×${mark(r.meets.floor)}`} | ` +
      `${tr ? fmt(tr.secondsPerEpoch) : '—'} | ${tr ? `${fmt(tr.fasterPerImage)}×${mark(r.meets.torch)}` : '—'} | ` +
      `${r.imagesPerEpoch < FULL_EPOCH ? `≈ ${fmt(r.evalShareFull * 100, 1)}% of a full epoch (${fmt(r.evalShare * 100, 1)}% of this ${int(r.imagesPerEpoch)}-image one)` : `${fmt(r.evalShare * 100, 1)}%`}` +
      `${mark(r.meets.evalShare)} | ${fmt(r.inferenceOverTraining)}×${mark(r.meets.inference)} |`);
  }
  return ['', 'README table:', ...rows];
}

function main(): void {
  const native = requireNative(fail, threads);
  const machine = describeMachine(native);
  const peak = measurePeak(native, peakSeconds);
  const py = values['no-torch'] ? null : findTorch(values.python);
  const torchEnv = torchIsaCaps(machine.addon.simd, machine.addon.supportedTargets[0], values['torch-full-isa']!);
  if (!values.json) for (const line of header(machine, peak, py, torchEnv)) log(line);
  const results = models.map((m) => {
    log(`\n${m}: training…`);
    return benchModel(m, !('unavailable' in peak), py, torchEnv);
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ machine, peak, torch: py, torchEnv, loadAverage: os.loadavg(), targets: TARGETS, evalShareTarget: EVAL_SHARE_TARGET, inferenceTarget: INFERENCE_TARGET, models: results }) + '\n');
    return;
  }
  for (const r of results) for (const line of report(r)) log(line);
  for (const line of table(results)) log(line);
  log(loadLine('at the end'));
}

main();
