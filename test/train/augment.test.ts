// Trainer's augment option: validated with errors that name the field; reproducible from the
// seed; a run stopped mid-epoch and resumed from its checkpoint equals the uninterrupted one bit
// for bit (each image's warp follows from (seed, iteration, position), nothing else to save);
// the evaluations never see a warped image; the checkpoint records the setting.
import test from 'ava';
import * as path from 'node:path';
import { getBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { ImageSet } from '../../lib/data/dataset';
import { checkAugmentOptions, parseAugmentSpec } from '../../lib/data/augment';
import { loadCheckpoint, saveCheckpoint } from '../../lib/io/checkpoint';
import { Affine, Convolution, Pooling, Relu } from '../../lib/layers';
import { Sequential } from '../../lib/networks';
import { Trainer, type TrainerOptions } from '../../lib/train';
import { tempDir } from '../helpers/tmpdir';

const backend = getBackend();
const data = loadMnist({ flatten: false });
const xTrain = data.xTrain.slice(0, 400);
const tTrain = data.tTrain.slice(0, 400);
const xTest = data.xTest.slice(0, 100);
const tTest = data.tTest.slice(0, 100);

function makeNet(seed: number): Sequential {
  return new Sequential({
    backend, seed, inputShape: [1, 28, 28],
    layers: [
      new Convolution({ filters: 4, kernelSize: 5, weightInit: 'he' }), new Relu(), new Pooling({ poolH: 2 }),
      new Affine({ units: 10, weightInit: 'he' }),
    ],
  });
}

function params(net: Sequential): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(net.namedTensors())) out[k] = Array.from(v.data);
  return out;
}

const augment = { shift: 2, rotate: 12, scale: 0.1, elastic: { alpha: 20, sigma: 3 } };
const base: TrainerOptions = {
  epochs: 2, miniBatchSize: 40, optimizer: 'Adam', optimizerParam: { lr: 0.002 }, seed: 3, verbose: false, sampling: 'shuffle', augment,
};

test('augment: the same seed trains identically, and augmentation changes the batches', (t) => {
  const a = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, base).train();
  const b = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, base).train();
  t.deepEqual(a.trainLossList, b.trainLossList);
  const plain = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, { ...base, augment: null }).train();
  t.notDeepEqual(a.trainLossList, plain.trainLossList);
  // All-zero settings are no augmentation at all.
  const zero = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, { ...base, augment: { shift: 0, rotate: 0 } });
  t.is(zero.augment, null);
  t.deepEqual(zero.train().trainLossList, plain.trainLossList);
});

for (const sampling of ['shuffle', 'random'] as const) {
  test(`augment: resumed mid-epoch (${sampling} sampling) equals the uninterrupted run bit for bit`, (t) => {
    const options: TrainerOptions = { ...base, sampling };
    const whole = makeNet(1);
    const h1 = new Trainer(whole, xTrain, tTrain, xTest, tTest, options).train();
    const dir = tempDir(t, 'scratchnet-augment-');
    const file = path.join(dir, 'checkpoint.safetensors');
    const first = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, options);
    for (let i = 0; i < 7; i++) first.step();
    first.saveCheckpoint(file);
    t.deepEqual(loadCheckpoint<{ options: { augment: unknown } }>(file).meta.options.augment, { ...augment, imageShape: null });
    // Resumed without the option: the checkpoint's setting continues.
    const net = makeNet(42);
    const second = Trainer.resume(file, net, xTrain, tTrain, xTest, tTest, { verbose: false });
    t.deepEqual(second.augment, { ...augment, imageShape: null });
    const h2 = second.train();
    t.deepEqual(params(net), params(whole));
    t.deepEqual(h2.trainLossList, h1.trainLossList);
    t.deepEqual(h2.testAccList, h1.testAccList);
  });
}

test('augment: evaluation never sees a warped image', (t) => {
  const net = makeNet(2);
  // Every evaluation set and the test data refuse to be warped; only the training set is.
  const guarded = (x: ImageSet) => {
    const copy = x.slice(0);
    copy.gatherAugmented = () => { throw new Error('an evaluation set was augmented'); };
    return copy;
  };
  let warped = 0;
  const train = xTrain.slice(0);
  const original = train.gatherAugmented.bind(train);
  train.gatherAugmented = (...args: Parameters<ImageSet['gatherAugmented']>) => { warped++; original(...args); };
  const trainer = new Trainer(net, train, tTrain, guarded(xTest), tTest, { ...base, epochs: 1, trainAcc: 'evaluate', evaluateSampleNumPerEpoch: 100 });
  const h = trainer.train();
  t.is(warped, trainer.maxIter);
  t.is(h.testAccuracy, net.accuracy(xTest, tTest));
  t.regex(trainer.history.trainAccMeasure, /evaluated/);
  const running = new Trainer(makeNet(2), xTrain, tTrain, xTest, tTest, { ...base, epochs: 1, trainAcc: 'running' });
  t.regex(running.history.trainAccMeasure, /augmented: shift ±2 px, rotate ±12°, scale ±0.1, elastic α 20 σ 3/);
});

test('augment: bad settings are refused naming the field, the allowed values and the fix', (t) => {
  const make = (augmentOption: unknown) => () => new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, { ...base, augment: augmentOption as TrainerOptions['augment'] });
  t.throws(make({ shift: 1.5 }), { message: /Trainer: augment\.shift must be a whole number of pixels in \[0, 64\], received 1\.5\. Fix: e\.g\. 2/ });
  t.throws(make({ rotate: -5 }), { message: /augment\.rotate must be a number of degrees in \[0, 180\], received -5/ });
  t.throws(make({ scale: 1 }), { message: /augment\.scale must be a number in \[0, 1\), received 1/ });
  t.throws(make({ elastic: { alpha: 34 } }), { message: /augment\.elastic\.sigma must be a number of pixels in \[0\.5, 40\], received undefined/ });
  t.throws(make({ elastic: { alpha: 34, sigma: 4, beta: 1 } }), { message: /unknown augment\.elastic option 'beta'\. Allowed: alpha, sigma/ });
  t.throws(make({ rotation: 10 }), { message: /unknown augment option 'rotation'\. Allowed: shift, rotate, scale, elastic, imageShape/ });
  t.throws(make('shift=2'), { message: /augment must be an object such as \{ shift: 2, rotate: 10, scale: 0\.1 \}/ });
  t.throws(make({ shift: 28 }), { message: /augment\.shift 28 moves 28×28 images entirely out of view/ });
  // Flat samples need the image shape; float data cannot be warped.
  const flat = xTrain.reshape([784]);
  const flatNet = () => new Sequential({ backend, seed: 1, inputShape: [784], layers: [new Affine({ units: 10 })] });
  t.throws(() => new Trainer(flatNet(), flat, tTrain, xTest.reshape([784]), tTest, { ...base, augment: { shift: 2 } }), {
    message: /the training samples are flat vectors \(784\).*Fix: pass augment\.imageShape \(e\.g\. \[1, 28, 28\]/,
  });
  const ok = new Trainer(flatNet(), flat, tTrain, xTest.reshape([784]), tTest, { ...base, epochs: 1, augment: { shift: 2, imageShape: [1, 28, 28] } });
  t.true(ok.train().testAccuracy! > 0.3);
  const floats = ImageSet.fromTensor(xTrain.toTensor());
  t.throws(() => new Trainer(makeNet(1), floats, tTrain, xTest, tTest, { ...base, augment: { shift: 2 } }), {
    message: /augment warps byte images, but the training images are float32 data/,
  });
});

test('augment: a checkpoint with damaged augmentation settings is named as damaged', (t) => {
  const dir = tempDir(t, 'scratchnet-augment-');
  const file = path.join(dir, 'c.safetensors');
  const trainer = new Trainer(makeNet(1), xTrain, tTrain, xTest, tTest, base);
  trainer.step();
  trainer.saveCheckpoint(file);
  const ck = loadCheckpoint<{ options: { augment: Record<string, unknown> } }>(file);
  ck.meta.options.augment.rotate = -1;
  saveCheckpoint(file, ck);
  t.throws(() => Trainer.resume(file, makeNet(1), xTrain, tTrain, xTest, tTest), {
    name: 'CorruptCheckpointError', message: /checkpoint's meta\.options\.augment must be augmentation settings \(.*rotate must be a number of degrees/,
  });
});

test('augment: the command-line form', (t) => {
  t.deepEqual(parseAugmentSpec('shift=2, rotate=10,scale=0.1,elastic=34:4'), { shift: 2, rotate: 10, scale: 0.1, elastic: { alpha: 34, sigma: 4 } });
  t.deepEqual(parseAugmentSpec('elastic'), { elastic: { alpha: 34, sigma: 4 } });
  t.is(parseAugmentSpec('none'), null);
  t.throws(() => parseAugmentSpec('rotation=10'), { message: /unknown setting 'rotation'.*shift=PIXELS, rotate=DEGREES, scale=FRACTION, elastic=ALPHA:SIGMA/ });
  t.throws(() => parseAugmentSpec('shift=two'), { message: /'shift=two' needs a number after 'shift='/ });
  t.throws(() => parseAugmentSpec('elastic=34'), { message: /must be elastic=ALPHA:SIGMA/ });
  t.throws(() => parseAugmentSpec('shift=1,shift=2'), { message: /'shift' is given twice/ });
  t.is(checkAugmentOptions('x', parseAugmentSpec('shift=0')), null);
});
