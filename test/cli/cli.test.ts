// The `scratchnet` command end to end, spawned as a user would run it, on a small real MNIST
// subset: train → files → eval → predict (idx and PNG), JSON output, Ctrl-C and resume,
// one-line errors, summary, info and bench.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { SimpleConvNet } from '../../lib/networks/presets';
import { Trainer } from '../../lib/train/trainer';
import { loadMnist } from '../../lib/data/mnist';
import { writeIdx } from '../../lib/data/idx';
import { loadNative } from '../../lib/backend/native';
import { runCli, type CliOptions, type CliRun } from '../helpers/cli';
import { suiteTempDir } from '../helpers/tmpdir';

const tmp = suiteTempDir('scratchnet-cli-');

type Run = CliRun;

function cli(args: string[], opts: Omit<CliOptions, 'cwd'> = {}): Promise<Run> {
  return runCli(args, { cwd: tmp, ...opts });
}

const runDir = path.join(tmp, 'run');
const TRAIN = ['--train-size', '1000', '--test-size', '500', '--epochs', '1', '--seed', '1'];
let trained: Promise<Run>;
test.before(() => {
  trained = cli(['train', ...TRAIN, '--json', '--out', runDir]);
});

function jsonLines(s: string): Record<string, any>[] {
  return s.trim().split('\n').map((l) => JSON.parse(l));
}

function oneErrorLine(t: { is: (a: unknown, b: unknown, m?: string) => void; false: (v: boolean, m?: string) => void }, r: Run): string {
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 1, `stderr: ${r.stderr}`);
  t.false(/^\s+at /m.test(r.stderr), 'no stack trace');
  return lines[0];
}

test.serial('train: --json lines parse, files are written, params load and give the reported accuracy', async (t) => {
  const r = await trained;
  t.is(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  const epochs = lines.filter((l) => l.event === 'epoch');
  const done = lines[lines.length - 1];
  t.is(epochs.length, 1);
  t.is(epochs[0].epoch, 1);
  t.is(typeof epochs[0].testAcc, 'number');
  t.is(done.event, 'done');
  for (const k of ['model', 'backend', 'epochs', 'trainSeconds', 'secondsPerEpoch', 'testAccuracy', 'trainAccuracy', 'outDir']) t.true(k in done, k);
  t.is(done.model, 'simple-convnet');
  t.is(done.epochs, 1);
  t.is(done.testSize, 500);
  for (const f of ['params.safetensors', 'checkpoint.safetensors', 'history.json', 'model.json', 'curves.png', 'curves.svg', 'filters-before.png', 'filters-after.png', 'misclassified.png']) {
    t.true(fs.existsSync(path.join(runDir, f)), f);
  }
  for (const f of ['curves.png', 'filters-before.png', 'filters-after.png', 'misclassified.png']) {
    t.true(PNG.sync.read(fs.readFileSync(path.join(runDir, f))).width > 0, f);
  }
  // 30 filters, 8 per row: 4 rows of 5×5 tiles.
  const filt = PNG.sync.read(fs.readFileSync(path.join(runDir, 'filters-after.png')));
  t.true(filt.height < filt.width);
  t.regex(fs.readFileSync(path.join(runDir, 'curves.svg'), 'utf8'), /<polyline class="test"/);
  const hist = JSON.parse(fs.readFileSync(path.join(runDir, 'history.json'), 'utf8'));
  t.is(hist.trainLossList.length, 10);
  t.is(hist.testAccuracy, done.testAccuracy);
  const net = new SimpleConvNet({ backend: 'reference' });
  net.loadParams(path.join(runDir, 'params.safetensors'));
  const m = loadMnist({ flatten: false });
  t.is(net.accuracy(m.xTest.slice(0, 500), m.tTest.slice(0, 500)), done.testAccuracy);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'model.json'), 'utf8')).inputShape, [1, 28, 28]);
});

test.serial('eval: accuracy and a 10×10 confusion matrix that adds up', async (t) => {
  const done = jsonLines((await trained).stdout).pop()!;
  const r = await cli(['eval', '--run', runDir, '--test-size', '500', '--json']);
  t.is(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout);
  t.is(e.accuracy, done.testAccuracy);
  t.is(e.count, 500);
  t.is(e.confusion.length, 10);
  t.true(e.confusion.every((row: number[]) => row.length === 10));
  t.is(e.confusion.flat().reduce((a: number, b: number) => a + b, 0), 500);
  t.is(e.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0), e.correct);
  const text = await cli(['eval', '--params', path.join(runDir, 'params.safetensors'), '--test-size', '500']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /accuracy \d+\.\d\d% \(\d+\/500\)/);
  t.regex(text.stdout, /confusion matrix/);
  t.is(text.stdout.trim().split('\n').filter((l) => /^\s*\d\s+\d+/.test(l)).length, 10);
});

test.serial('predict: an idx file and PNG files give the network\'s classes', async (t) => {
  await trained;
  const m = loadMnist({ flatten: false });
  const net = new SimpleConvNet({ backend: 'reference' });
  net.loadParams(path.join(runDir, 'params.safetensors'));
  const n = 5;
  const bytes = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) bytes.set(m.xTest.sampleBytes(i), i * 784);
  const idxFile = path.join(tmp, 'five-idx3-ubyte');
  writeIdx(idxFile, [n, 28, 28], bytes);
  const x = m.xTest.slice(0, n).toTensor();
  const y = net.predict(x).data;
  const expected = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (y[i * 10 + j] > y[i * 10 + best]) best = j;
    return best;
  });
  const r = await cli(['predict', '--run', runDir, idxFile, '--limit', '4', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = jsonLines(r.stdout);
  t.is(out.length, 4);
  t.deepEqual(out.map((o) => o.class), expected.slice(0, 4));
  t.deepEqual(out.map((o) => o.index), [0, 1, 2, 3]);
  t.is(out[0].top.length, 3);
  const psum = out[0].top.reduce((a: number, p: { probability: number }) => a + p.probability, 0);
  t.true(psum <= 1 + 1e-9 && out[0].top[0].probability >= out[0].top[1].probability);

  // Test image 0 at 56×56 (each pixel doubled): resizing back by area averaging is exact.
  const src = m.xTest.sampleBytes(0);
  const write = (file: string, invert: boolean) => {
    const png = new PNG({ width: 56, height: 56 });
    for (let yy = 0; yy < 56; yy++) {
      for (let xx = 0; xx < 56; xx++) {
        const v = src[(yy >> 1) * 28 + (xx >> 1)];
        const o = (yy * 56 + xx) * 4;
        png.data[o] = png.data[o + 1] = png.data[o + 2] = invert ? 255 - v : v;
        png.data[o + 3] = 255;
      }
    }
    fs.writeFileSync(file, PNG.sync.write(png));
  };
  write(path.join(tmp, 'digit.png'), false);
  write(path.join(tmp, 'paper.png'), true);
  const p = await cli(['predict', '--run', runDir, path.join(tmp, 'digit.png'), path.join(tmp, 'paper.png')]);
  t.is(p.code, 0, p.stderr);
  t.regex(p.stderr, /digit\.png is 56×56; resized to 28×28/);
  const lines = p.stdout.trim().split('\n');
  t.is(lines.length, 2);
  t.true(lines[0].startsWith(`${path.join(tmp, 'digit.png')}: ${expected[0]} `), lines[0]);
  t.true(lines[1].startsWith(`${path.join(tmp, 'paper.png')}: ${expected[0]} `), lines[1]);
  t.regex(lines[1], /\[inverted\]/);
  t.notRegex(lines[0], /\[inverted\]/);
});

test.serial('the same seed gives the same numbers in code and on the command line: one sampling default, the book\'s', async (t) => {
  // OpenBLAS and the built-in SGEMM round differently, and each process picks one by timing
  // them at load: both sides are pinned to the built-in one, so any difference is the Trainer's.
  const dir = path.join(tmp, 'same-seed');
  const r = await cli(['train', '--train-size', '600', '--test-size', '200', '--epochs', '1', '--seed', '3', '--no-plots', '--json', '--out', dir],
    { env: { SCRATCHNET_GEMM: 'builtin' } });
  t.is(r.code, 0, r.stderr);
  const cliHistory = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  t.is(run.trainer.sampling, 'random');
  const nb = run.backend === 'native' ? loadNative().backend : null;
  // run.json names what the bits depend on: the SIMD path and the (pinned) GEMM.
  t.deepEqual(run.kernels, nb ? { simd: nb.info().simd, gemm: 'builtin' } : null);
  if (nb) nb.setGemm('builtin');
  try {
    // What a reader writes in code for `scratchnet train --train-size 600 --test-size 200 --epochs 1 --seed 3`.
    const d = loadMnist({ flatten: false, trainSize: 600, testSize: 200 });
    const net = new SimpleConvNet({ seed: 3, backend: run.backend });
    const trainer = new Trainer(net, d.xTrain, d.tTrain, d.xTest, d.tTest, {
      epochs: 1, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, seed: 3, verbose: false,
    });
    t.is(trainer.sampling, 'random');
    const h = trainer.train();
    t.is(h.trainLossList.length, 6);
    t.deepEqual(h.trainLossList, cliHistory.trainLossList);
    t.is(h.testAccuracy, cliHistory.testAccuracy);
  } finally {
    if (nb) nb.setGemm('auto');
  }
});

test.serial('predict: a picture that is not an MNIST-like digit is classified with a warning on its result line, or refused with --strict', async (t) => {
  await trained;
  // A 60×30 picture of noise: another aspect ratio, no blank border.
  const png = new PNG({ width: 60, height: 30 });
  let seed = 7;
  for (let i = 0; i < 60 * 30; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = seed >>> 24;
    png.data[i * 4 + 3] = 255;
  }
  const noise = path.join(tmp, 'noise.png');
  fs.writeFileSync(noise, PNG.sync.write(png));
  const r = await cli(['predict', '--run', runDir, noise]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /noise\.png: \d .*WARNING: a 60×30 picture \(aspect 2\.00\) squeezed to 28×28 \(aspect 1\.00\): the digit is distorted; it does not look like an MNIST digit \(light strokes on a blank dark border; its border is \d+% bright, not blank\), so the class is a guess/);
  const j = jsonLines((await cli(['predict', '--run', runDir, noise, '--json'])).stdout)[0];
  t.is(j.warnings.length, 2);
  const strict = await cli(['predict', '--run', runDir, noise, '--strict']);
  t.is(strict.code, 2, 'a refused input exits 2, as every bad input does');
  t.regex(oneErrorLine(t, strict), /noise\.png: a 60×30 picture .*Fix: crop it to the digit, square/);
  // A real digit (the 56×56 picture of the test above) gets no warning.
  const ok = await cli(['predict', '--run', runDir, path.join(tmp, 'digit.png'), '--strict']);
  t.is(ok.code, 0, ok.stderr);
  t.notRegex(ok.stdout, /WARNING/);
});

test.serial('Ctrl-C saves a checkpoint, says how to resume, exits 130; --resume finishes the run', async (t) => {
  const dir = path.join(tmp, 'interrupted');
  let sent = false;
  const r = await cli(['train', '--train-size', '2000', '--test-size', '200', '--epochs', '50', '--out', dir], {
    onStdout: (all, child) => {
      if (!sent && /epoch 1\/50/.test(all)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  t.true(sent);
  t.is(r.code, 130, r.stderr);
  // The header says how batches are drawn and from which seed, with plurals that read right.
  t.regex(r.stdout, /2000 training \/ 200 test images, 50 epochs of 20 batches of 100, Adam .*, random sampling \(the book's: random batches with replacement\), seed 0, backend (native \((avx512|avx2|sse2|neon), (built-in|OpenBLAS) GEMM, |reference \()(1 thread|\d+ threads)\)/);
  const ckpt = path.join(dir, 'checkpoint.safetensors');
  t.true(fs.existsSync(ckpt));
  t.true(r.stderr.includes(`scratchnet train --resume ${ckpt}`), r.stderr);
  t.false(fs.existsSync(path.join(dir, 'params.safetensors')));
  const h = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
  t.true(h.stopped);
  const target = h.epochs + 1;
  const res = await cli(['train', '--resume', ckpt, '--epochs', String(target), '--no-plots']);
  t.is(res.code, 0, res.stderr);
  t.regex(res.stdout, /resuming at epoch/);
  const h2 = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
  t.is(h2.epochs, target);
  t.is(h2.testAccList.length, target);
  t.true(h2.trainLossList.length > h.trainLossList.length);
  t.true(fs.existsSync(path.join(dir, 'params.safetensors')));
});

test('bad flags, values, files and commands: one line on stderr, non-zero exit', async (t) => {
  const cases: [string[], RegExp][] = [
    [['train', '--epoch', '1'], /unknown option --epoch \(did you mean --epochs\?\).*Valid options: --model/],
    [['train', '--epochs', 'many'], /--epochs must be an integer ≥ 1, received 'many'/],
    [['train', '--optimizer', 'adamw'], /--optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam, received 'adamw' \(did you mean adam\?\)/],
    [['train', '--model', 'resnet'], /unknown model 'resnet'/],
    [['train', '--momentum', '0.5'], /--momentum applies to momentum\/nesterov but the optimizer is adam/],
    [['train', '--model', path.join(tmp, 'missing.json')], /cannot read model file .*missing\.json: no such file/],
    [['eval', '--params', path.join(tmp, 'nope.safetensors')], /parameter file .*nope\.safetensors does not exist/],
    [['eval'], /which network\? Give --run/],
    [['predict', '--run', runDir], /no input images/],
    [['bogus'], /unknown command 'bogus'/],
    [['summary', 'extra'], /unexpected argument 'extra'/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    t.not(r.code, 0, args.join(' '));
    t.regex(oneErrorLine(t, r), re);
  }
  const badJson = path.join(tmp, 'bad.json');
  fs.writeFileSync(badJson, '{ "inputShape": [1, 28, 28], "layers": [ { "type": "Convolution", "filters": 3, "kernelSize": 40 } ] }');
  const r = await cli(['summary', '--model', badJson]);
  t.is(r.code, 2);
  t.regex(oneErrorLine(t, r), /model file .*bad\.json: .*Conv1/);
  await trained;
  const notParams = await cli(['eval', '--params', path.join(runDir, 'model.json')]);
  t.not(notParams.code, 0);
  t.regex(oneErrorLine(t, notParams), /model\.json/);
  // A finished run is never replaced silently.
  const params = fs.readFileSync(path.join(runDir, 'params.safetensors'));
  const again = await cli(['train', ...TRAIN, '--out', runDir]);
  t.is(again.code, 2);
  t.regex(oneErrorLine(t, again), /params\.safetensors already holds a trained run\. Fix: choose another --out, continue it with --resume .*checkpoint\.safetensors, or pass --overwrite/);
  t.true(fs.readFileSync(path.join(runDir, 'params.safetensors')).equals(params), 'the earlier parameters are untouched');
  const notIdx = await cli(['predict', '--run', runDir, path.join(runDir, 'history.json')]);
  t.not(notIdx.code, 0);
  t.regex(oneErrorLine(t, notIdx), /history\.json.*PNG files or an idx images file/);
});

test('--help for every command', async (t) => {
  for (const c of ['train', 'eval', 'predict', 'summary', 'bench', 'info']) {
    const r = await cli([c, '--help']);
    t.is(r.code, 0);
    t.regex(r.stdout, new RegExp(`^scratchnet ${c} — `));
    t.regex(r.stdout, /--help/);
  }
  const top = await cli(['--help']);
  t.is(top.code, 0);
  t.regex(top.stdout, /Commands:/);
});

test('summary: the preset table and a user model file', async (t) => {
  const r = await cli(['summary', '--model', 'lenet5']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Conv2\s+Convolution \(16 filters 5×5/);
  t.regex(r.stdout, /Total params: 61,706/);
  const file = path.join(tmp, 'mine.json');
  fs.writeFileSync(file, JSON.stringify({ inputShape: [1, 28, 28], layers: [{ type: 'Convolution', filters: 8, kernelSize: 3 }, { type: 'Relu' }, { type: 'Pooling', poolH: 2 }, { type: 'Affine', units: 10 }] }));
  const j = await cli(['summary', '--model', file, '--json']);
  t.is(j.code, 0, j.stderr);
  const s = JSON.parse(j.stdout);
  t.is(s.model, 'mine');
  t.deepEqual(s.params.W2, [8 * 13 * 13, 10]);
  t.is(s.totalParams, 8 * 9 + 8 + 8 * 13 * 13 * 10 + 10);
  // floor output sizes and padding modes: the table says which input a layer ignores
  const floor = path.join(tmp, 'floor.json');
  fs.writeFileSync(floor, JSON.stringify({ inputShape: [1, 28, 28], layers: [
    { type: 'Convolution', filters: 4, kernelSize: 5, stride: 2, padding: 'valid' }, { type: 'Relu' },
    { type: 'Pooling', poolH: 3, stride: 1, padding: 'same' }, { type: 'Affine', units: 10 }] }));
  const f = await cli(['summary', '--model', floor]);
  t.is(f.code, 0, f.stderr);
  t.regex(f.stdout, /Conv1\s+Convolution \(4 filters 5×5, stride 2, padding 'valid' \(pad 0\)\)\s+\(4, 12, 12\)/);
  t.regex(f.stdout, /Pool1\s+Pooling \(pool 3×3, stride 1, padding 'same' \(pad 1\)\)\s+\(4, 12, 12\)/);
  t.regex(f.stdout, /Unused input: Conv1 ignores input row 27 \(of 28\)/);
  const fj = JSON.parse((await cli(['summary', '--model', floor, '--json'])).stdout);
  t.regex(fj.layers[0].unusedInput, /column 27 \(of 28\)/);
  t.is(fj.layers[2].unusedInput, null);
  t.is(fj.config.layers[2].padding, 'same');
});

test('info: version, backend status, Node', async (t) => {
  const r = await cli(['info']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^scratchnet \d+\.\d+\.\d+/);
  t.true(r.stdout.includes(process.version));
  const j = JSON.parse((await cli(['info', '--json'])).stdout);
  t.is(j.native.loaded, loadNative().backend !== null);
  if (j.native.loaded) {
    t.regex(r.stdout, /OpenBLAS/);
    t.regex(r.stdout, /SIMD: /);
    // Each process times the two GEMMs at load, so the text names its own choice, as --json does.
    t.regex(r.stdout, /GEMM: (built-in|OpenBLAS)( \(|$)/m, 'the text says which GEMM runs');
    t.regex(r.stdout, /threads: \d+/);
  } else {
    t.regex(r.stdout, /NOT loaded/);
  }
});

test('bench: both backends timed per layer, results agree within the stated tolerance', async (t) => {
  const r = await cli(['bench', '--reps', '1', '--batch-size', '8', '--json']);
  t.is(r.code, 0, r.stderr);
  const b = JSON.parse(r.stdout);
  t.is(b.batchSize, 8);
  t.truthy(b.timings.reference);
  // Conv1 → Relu1 → Pool1 run fused (one row), then Affine1, Relu2, Affine2
  t.deepEqual(b.timings.reference.layers.map((l: { name: string }) => l.name), ['Conv1 → Relu1 → Pool1', 'Affine1', 'Relu2', 'Affine2']);
  if (loadNative().backend) {
    t.truthy(b.timings.native);
    t.true(b.speedup > 0);
    t.true(b.check.ok, JSON.stringify(b.check));
    t.true(b.check.maxRelative <= b.check.tolerance.gradients);
    t.deepEqual(Object.keys(b.check.grads).sort(), ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
  } else {
    t.regex(b.nativeError, /native backend not available/);
    t.is(b.check, null);
  }
  const text = await cli(['bench', '--reps', '1', '--batch-size', '4', '--model', 'lenet5']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /Conv2 → Relu2 → Pool2 \(Convolution\+Relu\+Pooling \(fused\)\)/);
  t.regex(text.stdout, /total step/);
  const unfused = await cli(['bench', '--reps', '1', '--batch-size', '4', '--model', 'lenet5', '--unfused', '--json']);
  t.is(unfused.code, 0, unfused.stderr);
  t.is(JSON.parse(unfused.stdout).timings.reference.layers.length, 11, 'every layer on its own');
  if (loadNative().backend) t.regex(text.stdout, /agreement: .*: OK/);
});
