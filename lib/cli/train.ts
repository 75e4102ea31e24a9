// scratchnet train: the book's train_convnet.py as a command. Trains in the main thread with
// trainAsync (which yields between batches, so Ctrl-C is handled at a batch boundary), saves a
// checkpoint every epoch, and writes parameters, history, model description and pictures.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPresetName, presetNames } from '../networks/resolve';
import { optimizerClassNames, optimizerNames, type OptimizerName } from '../optimizers/index';
import { Trainer, type TrainerOptions, type TrainingHistory } from '../train/trainer';
import { describeDataSource, formatDataSource, isSameData } from '../data/source';
import { checkAugmentOptions, formatAugment, parseAugmentSpec, type AugmentSettings } from '../data/augment';
import {
  checkRunDirFree, defaultRunDir, openRunDir, readResumedRun, trainerSettings, writeFinishedRun, writeInterruptedRun, writeRunStart,
  type RunInfo,
} from './run-dir';
import { TrainProgress } from './train-progress';
import { parseSchedule, scheduleFlagsGiven, scheduleOptions } from './schedule-options';
import { parseValidation, validationFlagsGiven, validationOptions } from './validation-options';
import { exitCodeFor, signalName, watchStopSignals } from './stop-signals';
import {
  CliError, type CommandSpec, type ParsedValues, flag, helpText, num, oneOf, parseCommand, str,
} from './options';
import {
  buildNetwork, chooseModel, dataOptions, io, loadData, nativeKernels, oneLine, pickBackend, type ModelChoice,
} from './common';

/** Which optimizer takes which hyper-parameter (the book's constructor arguments). */
const OPT_PARAMS: Record<string, string[]> = {
  momentum: ['momentum', 'nesterov'],
  beta1: ['adam'],
  beta2: ['adam'],
  'decay-rate': ['rmsprop'],
};

/**
 * What `scratchnet train` does unless told otherwise (besides the Trainer's own defaults: the
 * full test set each epoch, evaluation batches sized from the model). bench-floor measures the
 * evaluation's share of an epoch with these.
 */
export const TRAIN_DEFAULTS = {
  epochs: 20, miniBatchSize: 100, optimizer: 'adam', sampling: 'random', trainAcc: 'running',
} as const;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'train a network on MNIST and save parameters, checkpoints, history and pictures',
  usage: 'scratchnet train [--model simple-convnet|conv-1fc|lenet5|deep-convnet|<model.json>] [options]',
  options: {
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')}, or a JSON file describing a Sequential stack`, def: 'simple-convnet' },
    epochs: { type: 'string', arg: '<n>', help: 'epochs to train', def: String(TRAIN_DEFAULTS.epochs) },
    'batch-size': { type: 'string', arg: '<n>', help: 'mini-batch size', def: String(TRAIN_DEFAULTS.miniBatchSize) },
    optimizer: { type: 'string', arg: '<name>', help: optimizerNames.join(', '), def: TRAIN_DEFAULTS.optimizer },
    lr: { type: 'string', arg: '<x>', help: 'learning rate', def: "the optimizer's book default (adam 0.001, others 0.01)" },
    momentum: { type: 'string', arg: '<x>', help: 'momentum (momentum, nesterov)', def: '0.9' },
    beta1: { type: 'string', arg: '<x>', help: 'Adam beta1', def: '0.9' },
    beta2: { type: 'string', arg: '<x>', help: 'Adam beta2', def: '0.999' },
    'decay-rate': { type: 'string', arg: '<x>', help: 'RMSprop decay rate', def: '0.99' },
    'weight-decay': { type: 'string', arg: '<x>', help: 'L2 weight decay added to every gradient', def: '0' },
    sampling: { type: 'string', arg: '<mode>', help: "'random' (the book's Trainer and the library's default: random batches with replacement) or 'shuffle' (a permutation per epoch)", def: TRAIN_DEFAULTS.sampling },
    'train-acc': {
      type: 'string', arg: '<mode>',
      help: "'running': each epoch's training accuracy over its own batches, as trained (as Keras; free) or 'evaluate': the book's evaluation of the training set after each epoch (costs about a third of an epoch on full MNIST)",
      def: TRAIN_DEFAULTS.trainAcc,
    },
    'eval-samples': { type: 'string', arg: '<n>', help: 'evaluate each epoch on the first n test samples (and, with --train-acc evaluate, training samples): the book\'s evaluate_sample_num_per_epoch', def: 'all' },
    'eval-batch-size': { type: 'string', arg: '<n>', help: 'images per forward pass in the evaluations', def: "the model's inference batch (up to 1000, from its shapes)" },
    ...scheduleOptions,
    ...validationOptions,
    data: { type: 'string', arg: '<dir>', help: 'directory with the four MNIST idx files (raw or .gz)', def: 'the embedded MNIST' },
    'train-size': { type: 'string', arg: '<n>', help: 'train on the first n training images', def: 'all 60000' },
    'test-size': { type: 'string', arg: '<n>', help: 'evaluate on the first n test images', def: 'all 10000' },
    seed: { type: 'string', arg: '<n>', help: 'seed for initialisation, sampling, dropout and augmentation', def: '0' },
    augment: {
      type: 'string', arg: '<settings>',
      help: 'warp the training images: comma-separated shift=PIXELS (random crop of the padded image), rotate=DEGREES, scale=FRACTION, ' +
        "elastic=ALPHA:SIGMA (Simard's elastic distortion; elastic alone = 34:4), or none (evaluation is never augmented)",
      def: 'none (resuming: the checkpoint\'s)',
    },
    threads: { type: 'string', arg: '<n>', help: 'kernel threads', def: 'all cores' },
    backend: { type: 'string', arg: '<name>', help: 'native or reference', def: 'native when available' },
    out: { type: 'string', arg: '<dir>', help: 'output directory', def: 'runs/<model>-<timestamp>' },
    resume: { type: 'string', arg: '<checkpoint>', help: 'continue a run from its checkpoint.safetensors' },
    json: { type: 'boolean', help: 'one JSON object per line per epoch, and a final one' },
    quiet: { type: 'boolean', short: 'q', help: 'print only the final result' },
    'no-plots': { type: 'boolean', help: 'do not write the pictures' },
    overwrite: { type: 'boolean', help: 'replace a finished run already in --out (otherwise refused, so no trained run is lost)' },
  },
  examples: [
    'scratchnet train --epochs 20',
    'scratchnet train --model lenet5 --epochs 10 --out runs/lenet',
    'scratchnet train --train-size 5000 --test-size 1000 --epochs 2 --json',
    'scratchnet train --augment shift=2,rotate=10,scale=0.1 --epochs 30',
    'scratchnet train --resume runs/lenet/checkpoint.safetensors',
    'scratchnet train --lr-schedule cosine --warmup 1 --epochs 20',
    'scratchnet train --validation 5000 --patience 3 --out runs/early',
  ],
};

function optimizerParams(v: ParsedValues, optimizer: string): Record<string, number> {
  const p: Record<string, number> = {};
  for (const [flagName, owners] of Object.entries(OPT_PARAMS)) {
    if (str(v, flagName) !== undefined && !owners.includes(optimizer)) {
      throw new CliError(`scratchnet train: --${flagName} applies to ${owners.join('/')} but the optimizer is ${optimizer}. Fix: drop --${flagName} or pass --optimizer ${owners[0]}.`);
    }
  }
  const lr = num('train', v, 'lr', { min: 0, exclusiveMin: true });
  if (lr !== undefined) p.lr = lr;
  const mom = num('train', v, 'momentum', { min: 0, max: 1 });
  if (mom !== undefined) p.momentum = mom;
  const b1 = num('train', v, 'beta1', { min: 0, max: 1 });
  if (b1 !== undefined) p.beta1 = b1;
  const b2 = num('train', v, 'beta2', { min: 0, max: 1 });
  if (b2 !== undefined) p.beta2 = b2;
  const dr = num('train', v, 'decay-rate', { min: 0, max: 1 });
  if (dr !== undefined) p.decayRate = dr;
  const wd = num('train', v, 'weight-decay', { min: 0 });
  if (wd !== undefined) p.weightDecay = wd;
  return p;
}

/** --augment: undefined when absent (resuming keeps the checkpoint's), null for 'none', else checked settings. */
function augmentOption(v: ParsedValues): AugmentSettings | null | undefined {
  const text = str(v, 'augment');
  if (text === undefined) return undefined;
  try {
    return checkAugmentOptions('--augment', parseAugmentSpec(text));
  } catch (e) {
    throw new CliError(`scratchnet train: ${(e as Error).message.replace(/^--augment: augment\./, '--augment: ')}`);
  }
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(trainSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(trainSpec));
    return 0;
  }
  const json = flag(v, 'json');
  const quiet = flag(v, 'quiet');
  const plots = !flag(v, 'no-plots');
  const note = (s: string) => { if (!json && !quiet) io.err(s); };
  const backend = pickBackend('train', v, note);

  // --- the model and the run settings (from the checkpoint's run when resuming) ---
  const resume = str(v, 'resume');
  let prior: Partial<RunInfo> | null = null;
  let recordedData: unknown;
  let choice: ModelChoice;
  let modelSpec: string | null = str(v, 'model') ?? null;
  if (resume) {
    const resumed = readResumedRun(resume);
    prior = resumed.prior;
    recordedData = resumed.recordedData;
    if (modelSpec) note(`note: --model is ignored when resuming; the checkpoint holds the model.`);
    choice = chooseModel('train', resumed.model);
    choice.name = prior?.model ?? 'model';
    modelSpec = prior?.modelSpec ?? null;
  } else {
    choice = chooseModel('train', modelSpec ?? 'simple-convnet');
  }

  const optimizer = oneOf('train', v, 'optimizer', optimizerNames) ?? (prior?.trainer?.optimizer?.toLowerCase() as OptimizerName | undefined) ?? TRAIN_DEFAULTS.optimizer;
  const optimizerParam = resume && !Object.keys(OPT_PARAMS).concat(['lr', 'weight-decay']).some((k) => str(v, k) !== undefined)
    ? undefined
    : optimizerParams(v, optimizer);
  if (resume && optimizerParam) {
    note(`note: optimizer settings given with --resume are ignored; the checkpoint's optimizer state continues.`);
  }
  const epochs = num('train', v, 'epochs', { int: true, min: 1 }) ?? (resume ? undefined : TRAIN_DEFAULTS.epochs);
  const batchSize = num('train', v, 'batch-size', { int: true, min: 1 }) ?? (resume ? undefined : TRAIN_DEFAULTS.miniBatchSize);
  const seed = num('train', v, 'seed', { int: true, min: 0, max: 0xffffffff }) ?? (resume ? prior?.trainer?.seed ?? 0 : 0);
  const sampling = oneOf('train', v, 'sampling', ['random', 'shuffle'] as const) ?? (resume ? undefined : TRAIN_DEFAULTS.sampling);
  const evalSamples = num('train', v, 'eval-samples', { int: true, min: 1 });
  const evalBatchSize = num('train', v, 'eval-batch-size', { int: true, min: 1 });
  const trainAcc = oneOf('train', v, 'train-acc', ['running', 'evaluate'] as const) ?? (resume ? undefined : TRAIN_DEFAULTS.trainAcc);
  const lrSchedule = parseSchedule('train', v);
  const validation = parseValidation('train', v);
  if (resume && (scheduleFlagsGiven(v) || validationFlagsGiven(v))) {
    note(`note: schedule and validation settings given with --resume are ignored; the checkpoint's continue (same learning rates, same held-out images).`);
  }
  const augment = augmentOption(v);
  const data = dataOptions('train', v);
  const explicitData = data.dir !== undefined;
  if (resume && prior?.data) {
    data.dir ??= prior.data.dir;
    if (!explicitData && data.dir !== undefined && !fs.existsSync(data.dir)) {
      throw new CliError(`scratchnet train: the checkpoint ${resume} was trained on the data in ${data.dir}, which no longer exists. Fix: pass --data <dir> holding the same files.`);
    }
    data.trainSize ??= prior.data.trainSize;
    data.testSize ??= prior.data.testSize;
  }

  const outDir = str(v, 'out') ?? (resume ? path.dirname(resume) : defaultRunDir(choice.name));
  // Nothing the user trained is lost silently (see run-dir.ts).
  const continuing = resume !== undefined && path.resolve(path.dirname(resume)) === path.resolve(outDir);
  checkRunDirFree(outDir, continuing, flag(v, 'overwrite'));
  const net = buildNetwork('train', choice, backend, seed);
  const d = loadData('train', data, net.inputShape);
  const dataSource = describeDataSource(data.dir, { trainSize: d.xTrain.count, testSize: d.xTest.count });
  if (resume && recordedData !== undefined && !isSameData(recordedData, dataSource)) {
    if (!explicitData) {
      throw new CliError(
        `scratchnet train: the checkpoint ${resume} was trained on ${formatDataSource(recordedData)}, but the data found now is ${formatDataSource(dataSource)}. ` +
          `Fix: restore the original data, or pass --data <dir> to continue on other data deliberately.`,
      );
    }
    note(`note: --data ${data.dir} differs from the data the checkpoint was trained on (${formatDataSource(recordedData)}); continuing on it as asked.`);
  }
  const files = openRunDir(outDir, continuing);

  // --- the trainer ---
  const progress = new TrainProgress(json, quiet);
  const options: TrainerOptions = {
    verbose: false,
    dataSource: { ...dataSource },
    onBatch: (b) => progress.batch(b),
    onEpoch: (e) => {
      progress.clearBar();
      try {
        // The kept parameters before the checkpoint that names their epoch (a resume rewrites them from it anyway).
        if (e.isBest) trainer.saveBest(files.best);
        trainer.saveCheckpoint(files.checkpoint);
      } catch (err) {
        // A failed save must not kill hours of training; it is reported and retried next epoch.
        io.err(`warning: could not save the checkpoint: ${oneLine((err as Error).message)}`);
      }
      progress.epoch(e, d.xTest.count);
    },
  };
  if (epochs !== undefined) options.epochs = epochs;
  if (batchSize !== undefined) options.miniBatchSize = batchSize;
  if (sampling !== undefined) options.sampling = sampling;
  if (evalSamples !== undefined) options.evaluateSampleNumPerEpoch = evalSamples;
  if (evalBatchSize !== undefined) options.evalBatchSize = evalBatchSize;
  if (trainAcc !== undefined) options.trainAcc = trainAcc;
  if (augment !== undefined) {
    options.augment = augment;
    if (resume) note(`note: --augment replaces the checkpoint's augmentation from here on (${formatAugment(augment)}).`);
  }
  if (!resume) {
    options.seed = seed;
    options.optimizer = optimizerClassNames[optimizer];
    options.optimizerParam = optimizerParam;
    if (lrSchedule) options.lrSchedule = lrSchedule;
    Object.assign(options, validation);
  } else if (str(v, 'optimizer') !== undefined) {
    options.optimizer = optimizerClassNames[optimizer];
  }
  let trainer: Trainer;
  try {
    trainer = resume
      ? Trainer.resume(resume, net, d.xTrain, d.tTrain, d.xTest, d.tTest, options)
      : new Trainer(net, d.xTrain, d.tTrain, d.xTest, d.tTest, options);
  } catch (e) {
    throw new CliError(`scratchnet train: ${oneLine((e as Error).message)}`);
  }
  progress.attach(trainer);

  const run: RunInfo = {
    model: choice.name,
    modelSpec: modelSpec && !isPresetName(modelSpec) ? path.resolve(modelSpec) : modelSpec,
    // Absolute, so a resume from another working directory finds the same files.
    data: { ...data, dir: dataSource.dir ?? undefined },
    backend: backend.name,
    threads: backend.getNumThreads(),
    kernels: nativeKernels(backend),
    trainer: trainerSettings(trainer),
    trainAccMeasure: trainer.history.trainAccMeasure,
    testAccMeasure: trainer.history.testAccMeasure,
    startedAt: new Date().toISOString(),
    ...(resume ? { resumedFrom: path.resolve(resume) } : {}),
  };
  writeRunStart(files, net, trainer, run, resume !== undefined, plots);
  progress.header(choice.name, d.xTest.count, backend, outDir, files, resume !== undefined);

  // --- Ctrl-C, SIGTERM, SIGHUP: stop at the next batch boundary and keep the work ---
  const stopSignals = watchStopSignals((sig) => {
    progress.clearBar();
    io.err(`${signalName(sig)}: finishing the current batch and saving a checkpoint (send it again to quit at once)…`);
    trainer.stop();
  }, (line) => io.err(line));
  let history: TrainingHistory;
  try {
    history = await trainer.trainAsync();
  } catch (e) {
    progress.clearBar();
    throw new CliError(`scratchnet train: ${oneLine((e as Error).message)}${fs.existsSync(files.checkpoint) ? ` The last good checkpoint is ${files.checkpoint}.` : ''}`, 1);
  } finally {
    stopSignals.dispose();
  }
  progress.clearBar();

  const summary = progress.summary(history, { model: choice.name, backend, trainSize: d.xTrain.count, testSize: d.xTest.count, outDir });
  // history.json is written after what it describes (the checkpoint, or the parameters), so a
  // failed save never leaves a history of work that is not on disk.
  const historyDoc = { ...history, summary };
  if (history.stopped) {
    writeInterruptedRun(files, trainer, historyDoc);
    progress.interrupted(files.checkpoint);
    return exitCodeFor(stopSignals.signal ?? 'SIGINT');
  }
  const pictures = plots ? { title: `${choice.name} on ${d.xTrain.count} images`, xTest: d.xTest, tTest: d.tTest } : null;
  const written = writeFinishedRun(files, net, trainer, history, historyDoc, pictures);
  progress.done(summary, history, written);
  return 0;
}
