// PyTorch export, checked in PyTorch itself: the exported module loads its state dict strictly
// (every key and shape), and its logits on real MNIST test images match scratchnet's within 1e-5.
// Needs a Python that imports torch (Debian's python3-torch; .ci/run installs it). Without one
// the checks are skipped with the reason in the title — except with CI=true, where that fails.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportPyTorch, pytorchModuleSource } from '../../lib/export/pytorch';
import { loadSafetensors } from '../../lib/io/safetensors';
import { Affine } from '../../lib/layers/affine';
import { LeNet5, SimpleConvNet } from '../../lib/networks/presets';
import { Sequential } from '../../lib/networks/sequential';
import { findTorch } from '../../scripts/bench-floor/torch';
import { tempDir, leftovers } from '../helpers/tmpdir';
import { backendName, CASES, logits, Swish, testImages, train } from './networks';

const TOL = 1e-5;
const CHECKER = path.resolve(__dirname, '..', '..', '..', 'test', 'export', 'check_torch.py');
const torch = findTorch(process.env.SCRATCHNET_PYTHON);
const python = 'python' in torch ? torch.python : null;
const unavailable = 'unavailable' in torch ? torch.unavailable : '';

interface Report {
  torch: string;
  outShape: number[];
  maxAbs: number;
  agree: number;
  training: boolean;
  keys: string[];
  floatValues: number;
  dropout?: { ratio: number; trainValues: number[]; trainKept: number; evalValue: number };
}

function check(dir: string, x: { data: ArrayLike<number>; shape: number[] }, want: Float32Array, sampleShape: number[]): Report {
  fs.writeFileSync(path.join(dir, 'images.f32'), Buffer.from(Float32Array.from(x.data).buffer));
  fs.writeFileSync(path.join(dir, 'logits.f32'), Buffer.from(want.buffer, want.byteOffset, want.byteLength));
  const r = spawnSync(python!, [CHECKER, '--dir', dir, '--images', path.join(dir, 'images.f32'), '--logits', path.join(dir, 'logits.f32'),
    '--shape', JSON.stringify(sampleShape)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${python} ${CHECKER} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
}

const torchTest = python ? test : process.env.CI === 'true' ? test : test.skip;
const suffix = python ? '' : ` — ${process.env.CI === 'true' ? 'FAILS under CI' : 'SKIPPED'}, ${unavailable}`;

for (const c of CASES) {
  torchTest(`${c.name}: the PyTorch module loads its state dict strictly and its logits equal scratchnet's within ${TOL}${suffix}`, (t) => {
    if (!python) return t.fail(unavailable);
    const net = train(c.make());
    const dir = tempDir(t, 'scratchnet-torch-');
    const info = exportPyTorch(net, dir, { className: c.name.replace(/[^A-Za-z0-9]/g, '') });
    const x = testImages(net, 200);
    const want = logits(net, x);
    const r = check(dir, x, want, net.inputShape);
    t.log(`${c.name}, 200 test images, ${backendName()} backend vs PyTorch ${r.torch}: max |PyTorch − scratchnet| = ${r.maxAbs.toExponential(2)}`);
    t.deepEqual(r.outShape, [200, 10]);
    t.true(r.maxAbs <= TOL, `logits differ by ${r.maxAbs} (> ${TOL})`);
    t.is(r.agree, 200);
    t.false(r.training, 'load() returns the module in eval mode');
    t.deepEqual(r.keys, Object.keys(info.names).sort());
    let count = 0;
    for (const p of Object.values(net.namedTensors())) count += p.size;
    t.is(r.floatValues, count);
    if (r.dropout) {
      // The book's dropout: while training each value is kept (not rescaled) or zeroed; at
      // evaluation everything is scaled by 1 − ratio.
      t.deepEqual(r.dropout.trainValues, [0, 1]);
      t.true(Math.abs(r.dropout.trainKept - (1 - r.dropout.ratio)) < 0.02, `kept ${r.dropout.trainKept}`);
      t.true(Math.abs(r.dropout.evalValue - (1 - r.dropout.ratio)) < 1e-6);
    }
  });
}

torchTest(`python3 model.py loads the weights and prints the network${suffix}`, (t) => {
  if (!python) return t.fail(unavailable);
  const dir = tempDir(t, 'scratchnet-torch-');
  exportPyTorch(new LeNet5(), dir, { className: 'LeNet5' });
  const r = spawnSync(python, [path.join(dir, 'model.py')], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 300_000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^LeNet5\(\n {2}\(conv1\): Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(2, 2\)\)/);
  t.regex(r.stdout, /61,706 values loaded; output for one input: \(1, 10\)/);
});

test('the state dict: PyTorch\'s names and layouts (Linear weight = the book\'s Wᵀ), the book\'s names recorded beside them', (t) => {
  const net = new SimpleConvNet({ seed: 3 });
  const dir = tempDir(t, 'scratchnet-torch-');
  const info = exportPyTorch(net, path.join(dir, 'out'));
  t.deepEqual(fs.readdirSync(info.dir).sort(), ['model.py', 'state_dict.safetensors']);
  t.deepEqual(leftovers(info.dir), []);
  const { tensors, metadata } = loadSafetensors(path.join(info.dir, info.weightsFile));
  t.deepEqual(Object.keys(tensors).sort(), ['affine1.bias', 'affine1.weight', 'affine2.bias', 'affine2.weight', 'conv1.bias', 'conv1.weight']);
  t.deepEqual(info.names, {
    'conv1.weight': 'W1', 'conv1.bias': 'b1', 'affine1.weight': 'W2ᵀ', 'affine1.bias': 'b2', 'affine2.weight': 'W3ᵀ', 'affine2.bias': 'b3',
  });
  t.deepEqual(JSON.parse(metadata!['scratchnet.names']), info.names);
  t.is(metadata!.format, 'pt');
  t.deepEqual(tensors['conv1.weight'].shape, [30, 1, 5, 5]);
  t.deepEqual(Array.from(tensors['conv1.weight'].data), Array.from(net.params.W1.data));
  // Linear keeps (out, in): element (o, i) is the book's W[i][o].
  const w = tensors['affine1.weight'];
  t.deepEqual(w.shape, [100, 4320]);
  const W2 = net.params.W2.data;
  for (const [o, i] of [[0, 0], [99, 4319], [37, 1234], [3, 4000]]) t.is(w.data[o * 4320 + i], W2[i * 100 + o]);
});

test('the module source: attributes named after the layers, the book\'s dropout, nothing fused', (t) => {
  const src = pytorchModuleSource(CASES[2].make(), { className: 'Net' });
  t.regex(src, /class Net\(nn\.Module\):\n {4}input_shape = \(1, 28, 28\)\n {4}classes = 10/);
  t.regex(src, /self\.conv1 = nn\.Conv2d\(1, 8, kernel_size=\(3, 3\), stride=1, padding=\(1, 1\)\)/);
  t.regex(src, /self\.batchnorm1 = nn\.BatchNorm2d\(8, eps=0\.000001, momentum=0\.1\)/);
  t.regex(src, /self\.batchnorm2 = nn\.BatchNorm1d\(448, eps=0\.00001, momentum=0\.2\)/);
  // Padding 2 on a 3-wide window is more than nn.MaxPool2d takes: an explicit −∞ pad.
  t.regex(src, /x = self\.pool1\(F\.pad\(x, \(2, 2, 2, 2\), value=float\("-inf"\)\)\)/);
  t.regex(src, /self\.dropout1 = BookDropout\(0\.3\)/);
  t.regex(src, /x = self\.affine1\(x\)/);
  t.notRegex(src, /nn\.Dropout\(/);
});

test('exportPyTorch refuses bad options and unsupported layers, naming them', (t) => {
  const net = new SimpleConvNet();
  t.throws(() => exportPyTorch(net, ''), { message: /output directory must be a non-empty string/ });
  t.throws(() => pytorchModuleSource(net, { className: 'my net' }), { message: /className must be a Python identifier/ });
  t.throws(() => pytorchModuleSource(net, { className: 'class' }), { message: /className must be a Python identifier other than a keyword/ });
  t.throws(() => pytorchModuleSource(net, { moduleFile: 'my-model.py' }), { message: /moduleFile must be an importable Python file name/ });
  t.throws(() => pytorchModuleSource(net, { weightsFile: '../w.safetensors' }), { message: /weightsFile must be a plain file name/ });
  t.throws(() => pytorchModuleSource(net, { format: 'pt' } as never), { message: /unknown option 'format'/ });
  const custom = new Sequential({ inputShape: [4], layers: [new Affine({ units: 3 }), new Swish(), new Affine({ units: 2 })] });
  t.throws(() => exportPyTorch(custom, tempDir(t, 'scratchnet-torch-')), { message: /exportPyTorch: Swish1 is a Swish layer, which has no ONNX\/PyTorch counterpart/ });
});
