// scratchnet eval: accuracy of a trained network on the test set and the 10×10 confusion matrix
// (rows: true class, columns: predicted class).
import { CliError, type CommandSpec, flag, helpText, parseCommand } from './options';
import { dataOptions, io, loadData, loadTrained, pickBackend, table } from './common';
import { presetNames } from '../networks/resolve';
import { percent } from '../format';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'accuracy and confusion matrix of a trained network on the test set',
  usage: 'scratchnet eval (--run <dir> | --params <file.safetensors>) [--model <name|file.json>] [options]',
  options: {
    run: { type: 'string', arg: '<dir>', help: 'a directory written by scratchnet train (params.safetensors + model.json)' },
    params: { type: 'string', arg: '<file>', help: 'a parameter file (safetensors, saveParams)' },
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')} or a model file`, def: "the run's model.json or the file's own metadata" },
    data: { type: 'string', arg: '<dir>', help: 'directory with the MNIST idx files', def: 'the embedded MNIST' },
    'test-size': { type: 'string', arg: '<n>', help: 'evaluate on the first n test images', def: 'all' },
    'batch-size': { type: 'string', arg: '<n>', help: 'evaluation batch size', def: "the model's inference batch (up to 1000, from its shapes)" },
    threads: { type: 'string', arg: '<n>', help: 'kernel threads' },
    backend: { type: 'string', arg: '<name>', help: 'native or reference', def: 'native when available' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  examples: ['scratchnet eval --run runs/simple-convnet-20250101-120000', 'scratchnet eval --params params.safetensors --model lenet5 --json'],
};

/** An empty test set or a label the model has no output for is an error, not 0.00% or a TypeError. */
function checkTestSet(labels: ArrayLike<number>, k: number, dir: string | undefined): void {
  const where = dir ?? 'the embedded MNIST';
  if (labels.length === 0) {
    throw new CliError(`scratchnet eval: the test set in ${where} holds no images; an accuracy needs at least one. Fix: give --data a directory whose t10k files hold images.`);
  }
  let top = 0;
  let at = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > top) { top = labels[i]; at = i; }
  if (top >= k) {
    throw new CliError(
      `scratchnet eval: test label ${top} (image ${at} of ${where}) is not a class of the model, which outputs ${k} classes (0–${k - 1}). ` +
        `Fix: evaluate on data labelled 0–${k - 1}, or use a model with at least ${top + 1} outputs.`,
    );
  }
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(evalSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(evalSpec));
    return 0;
  }
  const json = flag(v, 'json');
  const backend = pickBackend('eval', v, (s) => { if (!json) io.err(s); });
  const { net, paramsPath, modelName } = loadTrained('eval', v, backend);
  const data = dataOptions('eval', v);
  const bs = v['batch-size'] !== undefined ? Number(v['batch-size']) : net.inferenceBatchSize;
  if (!Number.isInteger(bs) || bs < 1) throw new CliError(`scratchnet eval: --batch-size must be an integer ≥ 1, received '${v['batch-size']}'.`);
  // Only the test split is used; the training split is loaded lazily by loadMnist's cache anyway.
  const d = loadData('eval', { dir: data.dir, testSize: data.testSize }, net.inputShape);
  checkTestSet(d.tTest.labels, net.numClasses, data.dir);
  const t0 = performance.now();
  const pred = net.predictClasses(d.xTest, { batchSize: bs });
  const seconds = (performance.now() - t0) / 1000;
  const k = net.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  const labels = d.tTest.labels;
  for (let i = 0; i < pred.length; i++) {
    confusion[labels[i]][pred[i]]++;
    if (labels[i] === pred[i]) correct++;
  }
  const accuracy = pred.length ? correct / pred.length : 0;
  if (json) {
    io.json({ model: modelName, params: paramsPath, backend: backend.name, count: pred.length, correct, accuracy, seconds, confusion });
    return 0;
  }
  io.out(`${modelName} (${paramsPath}) on ${pred.length} test images: accuracy ${percent(accuracy)} (${correct}/${pred.length}), ${seconds.toFixed(2)} s on ${backend.name}`);
  io.out('');
  io.out('confusion matrix (rows: true class, columns: predicted class)');
  const rows: string[][] = [['t\\p', ...Array.from({ length: k }, (_, j) => String(j)), 'recall']];
  for (let i = 0; i < k; i++) {
    const n = confusion[i].reduce((a, b) => a + b, 0);
    rows.push([String(i), ...confusion[i].map(String), n ? percent(confusion[i][i] / n, 1) : '-']);
  }
  io.out(table(rows, Array.from({ length: k + 2 }, (_, j) => j)));
  return 0;
}
