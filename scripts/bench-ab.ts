// Two builds of the addon in one process: training steps of the same network alternated between
// them in blocks (each side first in turn), so the shared machine's load falls on both alike.
// Prints each side's median step, the median of the paired ratios B ÷ A and their interquartile
// range. For judging a kernel change on a noisy machine, where two separate runs of the same
// build differ by ±25% and a few percent is invisible. With --inference each step is instead one
// evaluation batch (the model's inferenceBatchSize test images through net.accuracy, forward only):
// for judging a change to the forward pass, which a training step dilutes with its backward.
//
//   node dist/scripts/bench-ab.js --a OLD.node --b NEW.node [--model simple-convnet] [--block 20]
//     [--rounds 30] [--trained-steps 20] [--threads N] [--train-size 12000] [--gemm builtin|openblas|auto] [--inference]
//     [--simd-a avx2] [--simd-b avx512] [--json]
//
// Build the baseline first and keep a copy (e.g. `git stash; npm run build:native; cp
// build/Release/scratchnet_native.node /tmp/a.node; git stash pop; npm run build:native`), then
// `--a /tmp/a.node --b build/Release/scratchnet_native.node`.
// Each side is its own copy of the library (loaded afresh with SCRATCHNET_NATIVE_ADDON pointing at
// its file), its own addon and thread pool, training its own network from the same seed on the
// same images. Both use the built-in GEMM unless --gemm says otherwise: left to measure at load,
// either side may pick OpenBLAS, and the comparison would be of GEMMs, not of the change.
// --simd-a/--simd-b force a side's SIMD target (as SCRATCHNET_SIMD does): with the same build on
// both sides (two copies of the file), they compare two paths of one build, e.g. the AVX2 kernels
// against the AVX-512 ones on an AVX-512 machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { failFor, intFlag, median, parseFlags } from './bench-util';

const fail = failFor('bench-ab');
const USAGE =
  'node dist/scripts/bench-ab.js --a OLD.node --b NEW.node [--model simple-convnet|lenet5|deep-convnet|…] [--block 20] [--rounds 30] ' +
  '[--trained-steps 20] [--threads N] [--train-size 12000] [--gemm builtin|openblas|auto] [--inference] [--simd-a NAME] [--simd-b NAME] [--json]\n';
const values = parseFlags(fail, {
  a: { type: 'string' },
  b: { type: 'string' },
  model: { type: 'string', default: 'simple-convnet' },
  block: { type: 'string', default: '20' },
  rounds: { type: 'string', default: '30' },
  'trained-steps': { type: 'string', default: '20' },
  threads: { type: 'string' },
  'train-size': { type: 'string', default: '12000' },
  gemm: { type: 'string', default: 'builtin' },
  inference: { type: 'boolean', default: false },
  'simd-a': { type: 'string' },
  'simd-b': { type: 'string' },
  json: { type: 'boolean', default: false },
}, USAGE);

for (const side of ['a', 'b'] as const) {
  const file = values[side] ?? fail(`--${side} is required: the addon file (scratchnet_native.node) of build ${side.toUpperCase()}.\n${USAGE}`);
  if (!fs.existsSync(file)) fail(`--${side} ${file}: no such file. Fix: name a built addon, e.g. build/Release/scratchnet_native.node or a copy of it.`);
}
if (!['builtin', 'openblas', 'auto'].includes(values.gemm!)) fail(`--gemm must be builtin, openblas or auto, received '${values.gemm}'.`);
const block = intFlag(fail, 'block', values.block)!;
const rounds = intFlag(fail, 'rounds', values.rounds)!;
const trainedSteps = intFlag(fail, 'trained-steps', values['trained-steps'])!;
const threads = intFlag(fail, 'threads', values.threads);
const trainSize = intFlag(fail, 'train-size', values['train-size'])!;

/** The library's modules as one side sees them: a fresh copy, its native backend from `addon`. */
interface Side {
  name: string;
  addon: string;
  simd: string;
  gemm: string;
  /** Images one step takes: the training batch, or (--inference) the evaluation batch. */
  images: number;
  step: () => number;
}

const libDir = path.join(__dirname, '..', 'lib');

function loadSide(name: string, addon: string): Side {
  // A fresh copy of every library module, so that this side's loader caches its own addon.
  for (const key of Object.keys(require.cache)) if (key.startsWith(libDir + path.sep)) delete require.cache[key];
  process.env.SCRATCHNET_NATIVE_ADDON = path.resolve(addon);
  if (values.gemm !== 'auto') process.env.SCRATCHNET_GEMM = values.gemm;
  else delete process.env.SCRATCHNET_GEMM;
  const simd = name === 'A' ? values['simd-a'] : values['simd-b'];
  if (simd !== undefined) process.env.SCRATCHNET_SIMD = simd;
  else delete process.env.SCRATCHNET_SIMD;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const native = require(path.join(libDir, 'backend', 'native')) as typeof import('../lib/backend/native');
  const { loadMnist } = require(path.join(libDir, 'data', 'mnist')) as typeof import('../lib/data/mnist');
  const { createPreset } = require(path.join(libDir, 'networks', 'resolve')) as typeof import('../lib/networks/resolve');
  const { Trainer } = require(path.join(libDir, 'train', 'trainer')) as typeof import('../lib/train/trainer');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { backend, error } = native.loadNative();
  if (!backend) return fail(`build ${name} (${addon}) did not load:\n${error}`);
  if (native.loadedAddonPath() !== path.resolve(addon)) {
    fail(`build ${name}: the library loaded ${native.loadedAddonPath()} instead of ${path.resolve(addon)}; the comparison would not be of the two builds. ` +
      'Fix: unset SCRATCHNET_NATIVE_ADDON in the environment and name each build with --a/--b only (the script sets it per side).');
  }
  if (threads !== undefined) backend.setNumThreads(threads);
  const data = loadMnist({ flatten: false });
  const n = Math.min(trainSize, data.xTrain.count);
  let net;
  try {
    net = createPreset(values.model!, { backend, seed: 0 });
  } catch (e) {
    return fail((e as Error).message);
  }
  const trainer = new Trainer(net, data.xTrain.slice(0, n), data.tTrain.slice(0, n), data.xTest.slice(0, 100), data.tTest.slice(0, 100), {
    epochs: 1_000_000, miniBatchSize: 100, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, seed: 0, verbose: false,
  });
  const info = backend.info();
  if (simd !== undefined && info.simd !== simd) {
    fail(`build ${name}: --simd-${name.toLowerCase()} ${simd} asked for the '${simd}' path, but the library loaded '${info.simd}' ` +
      `(this CPU runs ${native.nativeTargets().join(', ')}). Fix: name one of those paths.`);
  }
  if (values.inference) {
    // The weights of some training steps (not the initial ones), so the ReLUs' zeros are typical:
    // they grow as a network trains (SimpleConvNet's pooled maps: ~7% zeros after 30 steps, ~40%
    // after an epoch), and kernels that skip zeros gain with them.
    for (let i = 0; i < trainedSteps; i++) trainer.step();
    const bs = net.inferenceBatchSize, m = Math.min(bs, data.xTest.count);
    const x = data.xTest.slice(0, m), t = data.tTest.slice(0, m), model = net;
    return { name, addon, simd: info.simd, gemm: info.gemm, images: m, step: () => model.accuracy(x, t, bs) };
  }
  return { name, addon, simd: info.simd, gemm: info.gemm, images: 100, step: () => trainer.step() };
}

function main(): void {
  const a = loadSide('A', values.a!);
  const b = loadSide('B', values.b!);
  // Warm-up: first-use allocations, the JIT, the caches.
  for (let i = 0; i < 5; i++) { a.step(); b.step(); }
  const ms: Record<'A' | 'B', number[]> = { A: [], B: [] };
  // Each side's workers keep polling for a while after its last kernel (kSpinTime in
  // native/kernels/threadpool.cc) before they sleep: a pause before each block keeps the other
  // side's idle workers from taking a core from this one.
  const idle = new Int32Array(new SharedArrayBuffer(4));
  const pause = () => Atomics.wait(idle, 0, 0, 3);
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? [a, b] : [b, a]) {
      pause();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < block; i++) side.step();
      ms[side.name as 'A' | 'B'].push(Number(process.hrtime.bigint() - t0) / 1e6 / block);
    }
  }
  const ratios = ms.B.map((v, i) => v / ms.A[i]).sort((x, y) => x - y);
  const q = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))];
  const result = {
    model: values.model, mode: values.inference ? 'inference' : 'training', images: a.images, block, rounds, threads: threads ?? null,
    a: { addon: a.addon, simd: a.simd, gemm: a.gemm, msPerStep: median(ms.A) },
    b: { addon: b.addon, simd: b.simd, gemm: b.gemm, msPerStep: median(ms.B) },
    ratio: median(ratios), ratioQuartiles: [q(0.25), q(0.75)],
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const what = values.inference ? 'batch' : 'step';
  process.stdout.write(
    `${values.model}, ${values.inference ? `inference (forward only), batch ${a.images}` : 'training, batch 100'}, ` +
    `${rounds} rounds of ${block} ${what}${block === 1 ? '' : values.inference ? 'es' : 's'} per side (${a.simd}, GEMM ${a.gemm} / ${b.simd}, GEMM ${b.gemm}):\n` +
    `  A ${a.addon}: ${result.a.msPerStep.toFixed(2)} ms a ${what} (median)\n` +
    `  B ${b.addon}: ${result.b.msPerStep.toFixed(2)} ms a ${what} (median)\n` +
    `  B ÷ A: ×${result.ratio.toFixed(3)} (median of the rounds' ratios; quartiles ×${q(0.25).toFixed(3)}–×${q(0.75).toFixed(3)})\n`);
}

main();
