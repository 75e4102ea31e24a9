// The book's experiments (scripts/book), each run end to end in its --quick mode as a user runs
// it (`scratchnet example <name> --quick`): it must exit 0, write a PNG that decodes to the size
// its layout promises and an SVG with its curves, and a results.json whose numbers are the
// experiment's — checked against what the experiment itself implies (a histogram of sigmoid
// outputs with tiny weights sits at 0.5; the search's trials are ranked best first …), not only
// that something was written.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { BOOK_SCRIPTS, resolveExample } from '../../lib/cli/example';
import { packageRoot } from '../../lib/backend/native';
import { spawnNodeSync } from '../helpers/node-command';
import { suiteTempDir } from '../helpers/tmpdir';

const bin = path.join(packageRoot, 'bin', 'scratchnet.js');
const tmp = suiteTempDir('scratchnet-book-');

interface Run { out: string; stdout: string; results: Record<string, any> }

function run(t: import('ava').ExecutionContext, name: string, ...extra: string[]): Run {
  const out = path.join(tmp, name);
  const r = spawnNodeSync([bin, 'example', name, '--quick', '--out', out, ...extra], { encoding: 'utf8', timeout: 240_000, cwd: tmp });
  t.is(r.status, 0, `scratchnet example ${name} --quick: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, new RegExp(`^${name} \\(the book's ch0\\d/${name}\\.py\\) — QUICK run`, 'm'));
  return { out, stdout: r.stdout, results: JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) };
}

function png(t: import('ava').ExecutionContext, file: string, width: number, height: number): PNG {
  t.true(fs.existsSync(file), `${file} written`);
  const p = PNG.sync.read(fs.readFileSync(file));
  t.is(p.width, width, `${path.basename(file)} width`);
  t.is(p.height, height, `${path.basename(file)} height`);
  // Not blank: a picture of curves has many pixels that are neither white nor the grid's grey.
  let ink = 0;
  for (let i = 0; i < p.data.length; i += 4) if (p.data[i] < 200 || p.data[i + 2] < 200) ink++;
  t.true(ink > 500, `${path.basename(file)}: ${ink} inked pixels`);
  return p;
}

/** The SVG of a chart: its size, and one polyline per series name given. */
function svg(t: import('ava').ExecutionContext, file: string, width: number, height: number, series: string[]): string {
  const s = fs.readFileSync(file, 'utf8');
  t.regex(s, new RegExp(`<svg [^>]*width="${width}" height="${height}"`));
  for (const name of series) t.true(s.includes(`<polyline class="${name}"`), `${path.basename(file)} has the curve '${name}'`);
  return s;
}

const decreasing = (a: number[]) => a.slice(-5).reduce((x, y) => x + y, 0) / 5 < a.slice(0, 5).reduce((x, y) => x + y, 0) / 5;

test.serial('train_neuralnet: TwoLayerNet learns; accuracy per epoch and loss per iteration drawn', (t) => {
  const { out, results: r } = run(t, 'train_neuralnet');
  png(t, path.join(out, 'train_neuralnet.png'), 1120, 456);
  svg(t, path.join(out, 'train_neuralnet.svg'), 1120, 456, ['train acc', 'test acc', 'train loss']);
  t.deepEqual(r.figure, { width: 1120, height: 456 });
  t.is(r.trainLossList.length, 60);
  // The book's i % iter_per_epoch == 0 with 1,000 images and batch 100: iterations 0, 10, … 50.
  t.deepEqual(r.evalAtIteration, [0, 10, 20, 30, 40, 50]);
  t.is(r.testAccList.length, 6);
  t.true(decreasing(r.trainLossList), 'the loss went down');
  t.true(r.finalTestAccuracy > r.testAccList[0]);
});

test.serial('optimizer_compare_mnist: four optimizers on the same batches, smoothed losses with the book\'s markers', (t) => {
  const { out, results: r } = run(t, 'optimizer_compare_mnist');
  png(t, path.join(out, 'optimizer_compare_mnist.png'), 720, 516);
  const s = svg(t, path.join(out, 'optimizer_compare_mnist.svg'), 720, 516, ['SGD', 'Momentum', 'AdaGrad', 'Adam']);
  t.true(s.includes('<polygon'), 'Adam\'s diamond markers');
  t.deepEqual(Object.keys(r.losses), ['SGD', 'Momentum', 'AdaGrad', 'Adam']);
  for (const k of Object.keys(r.losses)) t.is(r.losses[k].length, 40, k);
  // Same start (one seed, same first batch): the first losses differ only by the first update.
  t.true(Math.abs(r.losses.SGD[0] - r.losses.Adam[0]) < 0.5);
  t.deepEqual(r.settings.optimizers.Adam.lr, 0.001);
  t.deepEqual(r.settings.optimizers.Momentum, { lr: 0.01, momentum: 0.9, weightDecay: 0 });
  t.true(decreasing(r.losses.Adam) && decreasing(r.losses.AdaGrad));
});

test.serial('weight_init_compare: std 0.01 stalls where He learns', (t) => {
  const { out, results: r } = run(t, 'weight_init_compare', '--iterations', '80');
  png(t, path.join(out, 'weight_init_compare.png'), 720, 516);
  svg(t, path.join(out, 'weight_init_compare.svg'), 720, 516, ['std=0.01', 'Xavier', 'He']);
  const last = (k: string) => r.losses[k].slice(-10).reduce((a: number, b: number) => a + b, 0) / 10;
  t.true(last('std=0.01') > 2.2, `std 0.01 is still at ln 10 (${last('std=0.01')})`);
  t.true(last('He') < last('std=0.01') - 0.3, `He ${last('He')} vs std 0.01 ${last('std=0.01')}`);
});

test.serial('weight_init_activation_histogram: sigmoid piles up at 0/1 with std 1, at 0.5 with std 0.01', (t) => {
  const { out, results: r } = run(t, 'weight_init_activation_histogram');
  png(t, path.join(out, 'weight_init_activation_histogram.png'), 5 * 250, 6 * 200 + 36);
  const s = fs.readFileSync(path.join(out, 'weight_init_activation_histogram.svg'), 'utf8');
  t.true((s.match(/<rect /g) ?? []).length > 30 * 6, 'histogram bars');
  const layers = r.layers as Record<string, Array<{ mean: number; std: number; counts: number[] }>>;
  t.deepEqual(Object.keys(layers), ['sigmoid, std=1', 'sigmoid, std=0.01', 'sigmoid, Xavier', 'ReLU, std=0.01', 'ReLU, Xavier', 'ReLU, He']);
  for (const [name, rows] of Object.entries(layers)) {
    t.is(rows.length, 5);
    // Sigmoid outputs all lie in [0, 1] and land in a bin; ReLU outputs above 1 are outside the book's range=(0, 1).
    for (const row of rows) {
      const total = row.counts.reduce((a, b) => a + b, 0);
      if (name.startsWith('sigmoid')) t.is(total, 200 * 100, `${name}: every activation in a bin`);
      else t.true(total <= 200 * 100 && total > 0, `${name}: ${total} activations in [0, 1]`);
    }
  }
  const edgeShare = (c: number[]) => (c[0] + c[29]) / c.reduce((a, b) => a + b, 0);
  t.true(layers['sigmoid, std=1'].every((l) => edgeShare(l.counts) > 0.4), 'std 1: saturated at 0 and 1');
  t.true(layers['sigmoid, std=0.01'].every((l) => Math.abs(l.mean - 0.5) < 0.01 && l.std < 0.03), 'std 0.01: all ≈ 0.5 (std ≈ 0.25·0.01·√100 = 0.025 in layer 1, less after)');
  t.true(layers['sigmoid, Xavier'].every((l) => l.std > 0.05 && l.std < 0.3), 'Xavier: spread out');
  // ReLU with He keeps the spread from layer to layer; std 0.01 shrinks it by ~10× a layer.
  const he = layers['ReLU, He'];
  t.true(he[4].std > 0.4 * he[0].std, `He: layer 5 std ${he[4].std} vs layer 1 ${he[0].std}`);
  const small = layers['ReLU, std=0.01'];
  t.true(small[4].std < 1e-3 * small[0].std, 'std 0.01: the activations vanish');
});

test.serial('batch_norm_test: 16 weight scales, with and without batch norm, a 4 × 4 grid', (t) => {
  const { out, results: r } = run(t, 'batch_norm_test');
  png(t, path.join(out, 'batch_norm_test.png'), 1200, 4 * 220 + 36);
  const s = svg(t, path.join(out, 'batch_norm_test.svg'), 1200, 4 * 220 + 36, ['Batch Normalization', 'Normal (without BatchNorm)']);
  t.is((s.match(/<polyline class="Batch Normalization"/g) ?? []).length, 16);
  t.true(s.includes('>W:1.00<') && s.includes('>W:0.000100<'), 'np.logspace(0, -4, 16) in the titles');
  t.is(r.runs.length, 16);
  t.is(r.runs[0].weightScale, 1);
  t.true(Math.abs(r.runs[15].weightScale - 1e-4) < 1e-12);
  for (const run of r.runs) t.true(run.bn.length === 2 && run.normal.length === 2);
  t.is(r.settings.trainSize, 200);
});

test.serial('overfit_weight_decay: λ = 0 and 0.1 on 300 images, one panel each', (t) => {
  const { out, results: r } = run(t, 'overfit_weight_decay');
  png(t, path.join(out, 'overfit_weight_decay.png'), 1120, 456);
  svg(t, path.join(out, 'overfit_weight_decay.svg'), 1120, 456, ['train', 'test']);
  t.deepEqual(r.runs.map((x: any) => x.weightDecayLambda), [0, 0.1]);
  t.is(r.settings.trainSize, 300);
  for (const x of r.runs) t.is(x.trainAccList.length, 3);
});

test.serial('overfit_dropout: without and with Dropout 0.2', (t) => {
  const { out, results: r } = run(t, 'overfit_dropout');
  png(t, path.join(out, 'overfit_dropout.png'), 1120, 456);
  svg(t, path.join(out, 'overfit_dropout.svg'), 1120, 456, ['train', 'test']);
  t.deepEqual(r.runs.map((x: any) => x.useDropout), [false, true]);
  t.is(r.settings.dropoutRatio, 0.2);
  for (const x of r.runs) t.is(x.testAccList.length, 3);
});

test.serial('hyperparameter_optimization: trials in the book\'s ranges, ranked best first', (t) => {
  const { out, stdout, results: r } = run(t, 'hyperparameter_optimization');
  png(t, path.join(out, 'hyperparameter_optimization.png'), 4 * 260, 200 + 36);
  svg(t, path.join(out, 'hyperparameter_optimization.svg'), 4 * 260, 236, ['validation', 'train']);
  t.is(r.ranked.length, 4);
  t.is(r.settings.validationSize, 200);
  t.is(r.settings.trainSize, 800);
  for (let i = 0; i < r.ranked.length; i++) {
    const x = r.ranked[i];
    t.true(x.lr >= 1e-6 && x.lr <= 1e-2 && x.weightDecay >= 1e-8 && x.weightDecay <= 1e-4);
    if (i > 0) t.true(r.ranked[i - 1].valAcc >= x.valAcc);
    t.is(x.valAccList.length, 4, 'a point every quarter epoch');
  }
  t.regex(stdout, /^Best-1\(val acc:0\.\d{4}\) \| lr:/m);
});

test.serial('train_convnet, then visualize_filter on its parameters; train_deepnet, then misclassified_mnist on its', (t) => {
  const tc = run(t, 'train_convnet');
  png(t, path.join(tc.out, 'train_convnet.png'), 1100, 460);
  t.true(fs.existsSync(path.join(tc.out, 'params.safetensors')));
  const vf = run(t, 'visualize_filter', '--params', path.join(tc.out, 'params.safetensors'));
  // 30 filters of 5×5, 8 a row at 9 px a weight: 8·45 + 9·2 by 4·45 + 5·2.
  const before = png(t, path.join(vf.out, 'filters-random.png'), 378, 190);
  const after = png(t, path.join(vf.out, 'filters-learned.png'), 378, 190);
  t.false(Buffer.from(before.data).equals(Buffer.from(after.data)), 'trained filters differ from the random ones');

  const td = run(t, 'train_deepnet');
  png(t, path.join(td.out, 'train_deepnet.png'), 1100, 460);
  const mm = run(t, 'misclassified_mnist', '--params', path.join(td.out, 'deep_convnet_params.safetensors'));
  t.is(mm.results.testSize, 300);
  for (const m of mm.results.misclassified) t.not(m.label, m.prediction);
  t.is(mm.results.testAccuracy, 1 - mm.results.misclassified.length / 300);
  const pic = PNG.sync.read(fs.readFileSync(path.join(mm.out, 'misclassified_mnist.png')));
  t.true(pic.width > 100 && pic.height > 100);
  t.regex(mm.stdout, /^\{1: \(\d, \d\), 2: \(\d, \d\)/m);
});

test('a book script whose parameters are missing says which command makes them', (t) => {
  const r = spawnNodeSync([bin, 'example', 'visualize_filter', '--out', path.join(tmp, 'none')], { encoding: 'utf8', timeout: 60_000, cwd: tmp });
  t.is(r.status, 2);
  t.regex(r.stderr, /no trained parameters at runs\/train_convnet\/params\.safetensors.*scratchnet example train_convnet/);
  const bad = spawnNodeSync([bin, 'example', 'optimizer_compare_mnist', '--optimizers', 'SGD,Adamax'], { encoding: 'utf8', timeout: 60_000, cwd: tmp });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--optimizers: unknown 'Adamax'; choose from SGD, Momentum, AdaGrad, Adam, RMSprop, Nesterov/);
});

test('scratchnet example finds the book\'s scripts by file name, chapter path, kebab case and alias', (t) => {
  const file = (n: string) => path.join(packageRoot, 'dist', 'scripts', 'book', `${n}.js`);
  t.is(resolveExample('optimizer_compare_mnist'), file('optimizer_compare_mnist'));
  t.is(resolveExample('ch06/optimizer_compare_mnist.py'), file('optimizer_compare_mnist'));
  t.is(resolveExample('batch-norm-test'), file('batch_norm_test'));
  t.is(resolveExample('train-convnet'), file('train_convnet'));
  t.is(resolveExample('deep_convnet'), file('train_deepnet'));
  t.is(resolveExample('homework2'), path.join(packageRoot, 'dist', 'scripts', 'examples', 'homework2-lenet.js'));
  t.is(resolveExample('alexnet'), null);
  for (const b of BOOK_SCRIPTS) t.true(fs.existsSync(file(b.name)), `${b.name} is built`);
});
