// Faults a long run meets (issue 9), at the library level: checkpoints of any length, damaged
// checkpoints refused naming the field, non-finite parameters caught where they enter (build,
// load, a diverged update that the loss cannot see), empty test sets.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { loadCheckpoint, saveCheckpoint } from '../../lib/io/checkpoint';
import { Affine, Convolution, Pooling, Relu } from '../../lib/layers';
import { Sequential } from '../../lib/networks';
import { Tensor } from '../../lib/tensor/tensor';
import { Trainer, type TrainerOptions } from '../../lib/train';
import { tempDir } from '../helpers/tmpdir';

const backend = getBackend();
const data = loadMnist({ flatten: false });
const xTrain = data.xTrain.slice(0, 2);
const tTrain = data.tTrain.slice(0, 2);
const xTest = data.xTest.slice(0, 20);
const tTest = data.tTest.slice(0, 20);

/** Conv → Relu → Pool → Affine: NaN in W1 is turned into 0 by the Relu, so the loss stays finite. */
function convNet(seed = 0): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [new Convolution({ filters: 2, kernelSize: 5, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }), new Affine({ units: 10, weightInit: 'he' })],
  });
}

const OPTIONS: TrainerOptions = { epochs: 1, miniBatchSize: 1, sampling: 'shuffle', optimizer: 'Adam', optimizerParam: { lr: 0.001 }, verbose: false };

/** A real checkpoint after one epoch (2 steps of batch 1), returned with its path. */
function oneEpochCheckpoint(t: import('ava').ExecutionContext): string {
  const file = path.join(tempDir(t, 'scratchnet-faults-'), 'checkpoint.safetensors');
  const trainer = new Trainer(convNet(), xTrain, tTrain, xTest, tTest, OPTIONS);
  trainer.train();
  trainer.saveCheckpoint(file);
  return file;
}

function rewrite(file: string, edit: (meta: Record<string, any>) => void): void {
  const c = loadCheckpoint<Record<string, any>>(file);
  edit(c.meta);
  saveCheckpoint(file, c);
}

test('a checkpoint of 130,000 steps saves and resumes (the history is not copied through the stack)', (t) => {
  const file = oneEpochCheckpoint(t);
  // Steps and epochs as a long batch-1 run leaves them: 2 steps per epoch, 65,000 epochs
  // (push(...list) overflowed the stack from about 125,000 entries).
  const epochs = 65_000;
  const steps = 2 * epochs;
  rewrite(file, (m) => {
    m.progress.iteration = steps;
    m.progress.epoch = epochs;
    m.history.iterations = steps;
    m.history.epochs = epochs;
    m.history.trainLossList = Array.from({ length: steps }, (_, i) => 2 / (1 + i));
    m.history.trainAccList = new Array(epochs).fill(0.5);
    m.history.testAccList = new Array(epochs).fill(0.5);
    m.history.epochSeconds = new Array(epochs).fill(0.01);
    // As a checkpoint from before the learning rate was recorded: filled in on resume.
    delete m.history.lrList;
    m.options.epochs = epochs;
  });
  const trainer = Trainer.resume(file, convNet(), xTrain, tTrain, xTest, tTest, { epochs: epochs + 1, verbose: false });
  t.is(trainer.history.trainLossList.length, steps);
  const h = trainer.train();
  t.is(h.iterations, steps + 2);
  t.is(h.trainLossList.length, steps + 2);
  t.is(h.testAccList.length, epochs + 1);
  t.is(h.lrList.length, steps + 2);
  trainer.saveCheckpoint(file);
  t.is(loadCheckpoint<Record<string, any>>(file).meta.history.trainLossList.length, steps + 2);
});

test('a damaged checkpoint is refused naming the field, before anything is restored', (t) => {
  const cases: Array<[string, (m: Record<string, any>) => void, RegExp]> = [
    ['iteration 1e9', (m) => { m.progress.iteration = 1e9; }, /meta\.history\.iterations must be equal to progress\.iteration \(1000000000\)/],
    ['iteration "abc"', (m) => { m.progress.iteration = 'abc'; }, /meta\.progress\.iteration must be an integer in \[0, 2⁵³\), found "abc"/],
    ['iteration −5', (m) => { m.progress.iteration = -5; }, /meta\.progress\.iteration must be an integer .* found -5/],
    ['history without its losses', (m) => { m.progress.iteration = 1; m.history.iterations = 1; }, /meta\.history\.trainLossList must be a list of 1 numbers .* found "2 entries"/],
    ['an impossible position', (m) => { m.progress.stepInEpoch = 1; m.progress.epochLossSum = 1; }, /meta\.progress \(iteration 2, epoch 1, step 1\) is not a position of its own schedule/],
    ['rng words not numbers', (m) => { m.rng.s = ['x', 1, 2, 3]; }, /meta\.rng\.s must be four 32-bit unsigned integers/],
    ['rng all zero', (m) => { m.rng.s = [0, 0, 0, 0]; }, /meta\.rng\.s must be not all zero/],
    ['rng spare', (m) => { m.rng.spare = 'NaN'; }, /meta\.rng\.spare must be null or a finite number/],
    ['no history', (m) => { delete m.history; }, /meta\.history must be an object, found nothing \(the field is missing\)/],
    ['no optimizer', (m) => { delete m.optimizer; }, /meta\.optimizer must be an object, found nothing/],
    ['no rng', (m) => { delete m.rng; }, /meta\.rng must be an object, found nothing/],
    ['optimizer step count', (m) => { m.optimizer.t = -1; }, /meta\.optimizer\.t must be an integer/],
    ['train accuracy mode', (m) => { m.options.trainAcc = 'batches'; }, /meta\.options\.trainAcc must be 'evaluate' or 'running', found "batches"/],
    ['learning rates per step', (m) => { m.history.lrList = [0.01]; }, /meta\.history\.lrList must be a list of 2 numbers \(one per step done\), found "1 entries"/],
    ['a schedule without its settings', (m) => { m.lrSchedule = { spec: { type: 'cosine' }, baseLr: -1, totalSteps: 4, iterPerEpoch: 2 }; }, /meta\.lrSchedule must be a valid schedule \(lrSchedule: the optimizer's learning rate must be a finite number > 0/],
    ['a best epoch without a validation split', (m) => { m.validation = { count: 5, best: {} }; }, /meta\.validation must be absent when options\.validation is/],
    ['running counts at an epoch start', (m) => { m.progress.epochSeen = 50; }, /meta\.progress\.epochSeen must be an integer in \[0, 0\], found 50/],
    ['more right than seen', (m) => { m.progress.epochSeen = 0; m.progress.epochCorrect = 3; }, /meta\.progress\.epochCorrect must be an integer in \[0, 0\], found 3/],
  ];
  for (const [what, edit, re] of cases) {
    const file = oneEpochCheckpoint(t);
    rewrite(file, edit);
    const e1 = t.throws(() => Trainer.resume(file, convNet(), xTrain, tTrain, xTest, tTest, { verbose: false }), undefined, what);
    t.regex(e1!.message, re, what);
    t.regex(e1!.message, /damaged or was edited\. Fix: resume from an intact copy/, what);
    const trainer = new Trainer(convNet(), xTrain, tTrain, xTest, tTest, OPTIONS);
    const e2 = t.throws(() => trainer.loadCheckpoint(file), undefined, what);
    t.regex(e2!.message, re, what);
  }
});

test('resuming with fewer epochs than already trained says so', (t) => {
  const file = oneEpochCheckpoint(t);
  rewrite(file, (m) => { m.options.epochs = 3; });
  const trainer = new Trainer(convNet(), xTrain, tTrain, xTest, tTest, { ...OPTIONS, epochs: 1 });
  rewrite(file, (m) => {
    m.progress.iteration = 4; m.progress.epoch = 2; m.history.iterations = 4; m.history.epochs = 2;
    m.history.trainLossList = [1, 1, 1, 1]; m.history.trainAccList = [0, 0]; m.history.testAccList = [0, 0]; m.history.epochSeconds = [0, 0];
    m.history.lrList = [0.01, 0.01, 0.01, 0.01];
  });
  t.throws(() => trainer.loadCheckpoint(file), { message: /already trained 2 epochs \(4 steps\), more than the 1 epoch \(2 steps\) asked for\. Fix: ask for at least 2 epochs/ });
});

test('weightInit that overflows float32 is refused when the network is built, naming the layer', (t) => {
  const e = t.throws(() => new Sequential({ backend, inputShape: [784], layers: [new Affine({ units: 10, weightInit: 1e308 })] }));
  t.regex(e!.message, /Affine1 \(Affine: .*\) was initialised with non-finite parameters: W \(7840 of 7840 values\).*Fix: use a smaller weightInit/);
});

test('the guard stops training on NaN parameters that the loss cannot see, and keeps the last good checkpoint', (t) => {
  const dir = tempDir(t, 'scratchnet-faults-');
  const file = path.join(dir, 'checkpoint.safetensors');
  const net = convNet();
  const trainer = new Trainer(net, data.xTrain.slice(0, 20), data.tTrain.slice(0, 20), xTest, tTest, { ...OPTIONS, miniBatchSize: 5, epochs: 3 });
  trainer.saveCheckpoint(file);
  const good = fs.readFileSync(file);
  // W1 all NaN: the convolution's output is NaN, the Relu turns it into 0, the loss is finite.
  net.params.W1.data.fill(NaN);
  t.true(Number.isFinite(trainer.step()), 'the loss does not see the NaN');
  const e = t.throws(() => trainer.train());
  t.regex(e!.message, /parameters hold NaN or ±Infinity after epoch 1 .*W1 \(50 of 50 values\).*Fix: use a smaller learning rate/);
  t.throws(() => trainer.saveCheckpoint(file), { message: /parameters hold NaN.*when saving the checkpoint/ });
  t.true(fs.readFileSync(file).equals(good), 'the good checkpoint is untouched');
});

test('parameters with NaN, integer tensors and thousands of stray names are refused clearly at load', (t) => {
  const net = convNet();
  const good = net.namedTensors();
  const nan: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(good)) nan[k] = Tensor.from(v.data, v.shape);
  nan.W2.data[3] = Infinity;
  t.throws(() => convNet().setParams(nan, 'the file x.safetensors'), { message: /x\.safetensors holds NaN or ±Infinity in W2 \(1 of \d+ values\).*Fix: use an earlier checkpoint/ });

  const dir = tempDir(t, 'scratchnet-faults-');
  // An I32 tensor: reported as stored (I32), not as the float64 it is read into.
  const file = path.join(dir, 'int.safetensors');
  net.saveParams(file);
  const bytes = fs.readFileSync(file);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  header.b1.dtype = 'I32';
  let json = JSON.stringify(header);
  json += ' '.repeat(headerLen - json.length);
  fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from(json), bytes.subarray(8 + headerLen)]));
  const e = t.throws(() => convNet().loadParams(file));
  t.regex(e!.message, /tensor 'b1' is stored as I32 \(integers\)/);
  t.notRegex(e!.message, /F64/);

  const many: Record<string, Tensor> = { ...good };
  for (let i = 0; i < 20000; i++) many[`stray${i}`] = Tensor.zeros([1]);
  const e2 = t.throws(() => convNet().setParams(many));
  t.regex(e2!.message, /unexpected tensors 'stray0' \(1\), .* and 19,992 more \(not in this network\)/);
  t.true(e2!.message.length < 2000, `message of ${e2!.message.length} characters`);
});

test('an empty test set is an error, not 0.00%', (t) => {
  t.throws(() => new Trainer(convNet(), xTrain, tTrain, xTest.slice(0, 0), tTest.slice(0, 0), OPTIONS), { message: /the test set is empty/ });
  t.throws(() => convNet().accuracy(xTest.slice(0, 0), tTest.slice(0, 0)), { message: /no samples; an accuracy of 0 images is undefined/ });
});

test('layer types that are Object properties are unknown types, and absurd sizes name the layer', (t) => {
  for (const type of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
    const e = t.throws(() => Sequential.fromConfig({ inputShape: [784], layers: [{ type }, { type: 'Affine', units: 10 }] }));
    t.regex(e!.message, new RegExp(`unknown layer type '${type}'\\. Known types: Convolution`), type);
  }
  const huge = t.throws(() => new Sequential({ backend, inputShape: [784], layers: [new Affine({ units: 1e9 })] }));
  t.regex(huge!.message, /Affine1 \(Affine: .*\): cannot allocate a buffer: 784,000,000,000 values is more than the 2,147,483,647 one buffer may hold\. Fix: make this layer smaller/);
  const wide = t.throws(() => new Sequential({ backend, inputShape: [1, 28, 28], layers: [new Convolution({ filters: 5_000_000, kernelSize: 1 }), new Affine({ units: 10 })] }));
  t.regex(wide!.message, /Conv1 \(Convolution: .*\): its output for ONE sample, \(5000000, 28, 28\), cannot be allocated/);
});
