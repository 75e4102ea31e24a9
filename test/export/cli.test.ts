// `scratchnet export` end to end: train a small run with the CLI, export it as ONNX and as
// PyTorch, run the ONNX model in ONNX Runtime on real MNIST test images against the run's own
// network, and the one-line errors.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadSafetensors } from '../../lib/io/safetensors';
import { Sequential } from '../../lib/networks/sequential';
import { className } from '../../lib/cli/export';
import { runCli, type CliOptions, type CliRun } from '../helpers/cli';
import { suiteTempDir } from '../helpers/tmpdir';
import { logits, maxAbsDiff, testImages } from './networks';

const tmp = suiteTempDir('scratchnet-export-cli-');

function cli(args: string[], opts: Omit<CliOptions, 'cwd'> = {}): Promise<CliRun> {
  return runCli(args, { cwd: tmp, timeoutMs: 300_000, ...opts });
}

const runDir = path.join(tmp, 'run');
let trained: Promise<CliRun>;
test.before(() => {
  trained = cli(['train', '--model', 'lenet5', '--train-size', '1000', '--test-size', '100', '--epochs', '1', '--seed', '1', '--no-plots', '--quiet', '--out', runDir]);
});

/** The run's network, rebuilt from its own files as eval does. */
function runNetwork(): Sequential {
  const { tensors, metadata } = loadSafetensors(path.join(runDir, 'params.safetensors'));
  const net = Sequential.fromConfig(metadata!.model);
  net.setParams(tensors);
  return net;
}

test('export --run: an ONNX model whose logits on real test images match the run\'s within 1e-5, and a PyTorch directory', async (t) => {
  const tr = await trained;
  t.is(tr.code, 0, tr.stderr);
  const onnxFile = path.join(tmp, 'lenet5.onnx');
  const torchDir = path.join(tmp, 'lenet5-torch');
  const r = await cli(['export', '--run', runDir, '--onnx', onnxFile, '--softmax', '--pytorch', torchDir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote .*lenet5\.onnx: ONNX opset 13 \(IR 7\), [\d.]+ KiB; input 'input' float32 \(batch, 1, 28, 28\), output 'logits' \(batch, 10\) and 'probabilities' \(batch, 10\); 61,706 trained values; operators Conv, Relu, MaxPool, Flatten, Gemm, Softmax/);
  t.regex(r.stdout, /wrote .*lenet5-torch\/model\.py \(class LeNet5\) and .*state_dict\.safetensors \(10 state-dict tensors\)/);
  t.deepEqual(fs.readdirSync(torchDir).sort(), ['model.py', 'state_dict.safetensors']);
  const net = runNetwork();
  const x = testImages(net, 100, 500);
  const s = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: 1 });
  const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) });
  const d = maxAbsDiff(out.logits.data as Float32Array, logits(net, x));
  t.log(`LeNet5 trained 1 epoch on 1,000 images by the CLI: max |ONNX − scratchnet| = ${d.toExponential(2)}`);
  t.true(d <= 1e-5, `max abs diff ${d}`);
});

test('export --params --json: machine-readable, the model taken from the file\'s own metadata', async (t) => {
  const tr = await trained;
  t.is(tr.code, 0, tr.stderr);
  const file = path.join(tmp, 'from-params.onnx');
  const r = await cli(['export', '--params', path.join(runDir, 'params.safetensors'), '--onnx', file, '--json']);
  t.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.is(j.onnx.path, file);
  t.is(j.onnx.opset, 13);
  t.deepEqual(j.onnx.input, { name: 'input', shape: ['batch', 1, 28, 28] });
  t.deepEqual(j.onnx.outputs, [{ name: 'logits', shape: ['batch', 10] }]);
  t.is(j.pytorch, undefined);
  t.true(fs.statSync(file).size > 200_000);
});

test('export errors are one line naming the flag and the fix', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['export', '--run', runDir], /which format\? Give --onnx <file\.onnx>, --pytorch <dir>, or both/],
    [['export', '--onnx', 'x.onnx'], /which network\? Give --run <dir>/],
    [['export', '--run', runDir, '--pytorch', 'd', '--softmax'], /--softmax adds an output to the ONNX model; give --onnx/],
    [['export', '--run', runDir, '--onnx', 'm.onnx', '--class-name', 'Net'], /--class-name names the PyTorch module; give --pytorch/],
    [['export', '--run', runDir, '--onnx', tmp], /--onnx .* is a directory; give the file to write/],
    [['export', '--run', path.join(tmp, 'nope'), '--onnx', 'm.onnx'], /--run .*nope: no such directory/],
    [['export', '--run', runDir, '--pytorch', path.join(tmp, 'd2'), '--class-name', 'my net'], /className must be a Python identifier/],
    [['export', '--run', runDir, '--onx', 'm.onnx'], /unknown option --onx \(did you mean --onnx\?\)/],
  ];
  await trained;
  for (const [args, re] of cases) {
    const r = await cli(args);
    t.not(r.code, 0, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], re);
  }
});

test('export --help, and class names from model names', async (t) => {
  const r = await cli(['export', '--help']);
  t.is(r.code, 0);
  t.regex(r.stdout, /^scratchnet export — /);
  t.regex(r.stdout, /--onnx <file\.onnx>/);
  t.is(className('simple-convnet'), 'SimpleConvNet');
  t.is(className('deep-convnet'), 'DeepConvNet');
  t.is(className('my-net'), 'MyNet');
  t.is(className('2layer'), 'Net2layer');
  t.is(className('model'), 'Network');
});
