// Parity with PyTorch: random stacks of Convolution (kernel 1–7, stride 1–3, pad 0–2 or 'same' /
// 'valid', non-square inputs), Relu, Sigmoid, max Pooling (overlapping, tiling, gapped; output
// sizes that floor), Affine, BatchNormalization, Dropout in inference mode and SoftmaxWithLoss,
// run through scratchnet (native fused, native unfused, reference) and through PyTorch in float64
// with the same weights and batch: the loss and every parameter gradient must agree within
// float32 tolerance. Max-pooling ties and Relu kinks, where another valid subgradient may be
// chosen, are counted and reported with the stacks they touch.
//
//   node dist/scripts/torch-parity.js [--stacks 200] [--seed 1] [--python PATH] [--json]
//
// Exit status 1 when a stack disagrees beyond tolerance without a tie or a kink to explain it.
import { parseArgs } from 'node:util';
import { loadNative } from '../lib/backend/native';
import { Rng } from '../lib/tensor/rng';
import { findTorch } from './bench-floor/torch';
import {
  compare, PARITY_TOL, ZERO_GRAD_TOL, randomStack, runStack, runTorch, type ParityError, type ParityStack, type TorchAnswer,
} from './torch-parity/stacks';

const USAGE = 'node dist/scripts/torch-parity.js [--stacks 200] [--seed 1] [--python PATH] [--json]';

function fail(message: string): never {
  process.stderr.write(`torch-parity: ${message}\nUsage: ${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    stacks: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    python: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const count = Number(values.stacks);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1) fail(`--stacks must be a positive integer, received ${values.stacks}`);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be an integer ≥ 0, received ${values.seed}`);

const py = findTorch(values.python);
if ('unavailable' in py) fail(py.unavailable);
const native = loadNative();

const rng = new Rng(seed);
const stacks: ParityStack[] = Array.from({ length: count }, (_, i) => randomStack(rng, i));
const { torch, answers } = runTorch(py.python, stacks);

const variants: Array<{ name: string; run: (s: ParityStack) => ReturnType<typeof runStack> }> = [];
if (native.backend) {
  const nb = native.backend;
  variants.push({ name: `native ${nb.simd} (fused)`, run: (s) => runStack(s, nb, true) });
  variants.push({ name: `native ${nb.simd} (unfused)`, run: (s) => runStack(s, nb, false) });
} else {
  process.stderr.write(`torch-parity: the native backend did not load (${native.error?.split('\n')[0]}); checking the reference backend only.\n`);
}
variants.push({ name: 'reference', run: (s) => runStack(s, 'reference', true) });

interface VariantSummary {
  name: string;
  maxLossError: number;
  maxGradError: number;
  /** Biases right before a BatchNormalization (exact gradient 0): their largest |g| over the network's largest gradient. */
  zeroGradNoise: number;
  /** Each stack's largest gradient error. */
  gradErrors: number[];
  worst: string;
  /** Stacks with a gradient beyond tolerance of its scale but within 10× PyTorch float32's own error. */
  conditioned: number[];
  /** Stacks beyond both, with a tie or kink to explain them. */
  explained: Array<{ id: number; error: ParityError }>;
  /** Stacks beyond both with neither. */
  failed: Array<{ id: number; error: ParityError }>;
}

function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

const relevant = (a: TorchAnswer) => a.tieWindowsNonzero > 0 || a.kinkValues > 0;
const summaries: VariantSummary[] = variants.map(({ name, run }) => {
  const s: VariantSummary = { name, maxLossError: 0, maxGradError: 0, gradErrors: [], zeroGradNoise: 0, worst: '', conditioned: [], explained: [], failed: [] };
  stacks.forEach((stack, i) => {
    const e = compare(run(stack), answers[i], stack);
    if (e.beyond.length) (relevant(answers[i]) ? s.explained : s.failed).push({ id: stack.id, error: e });
    s.maxLossError = Math.max(s.maxLossError, e.loss);
    // An ill-conditioned stack (true gradients ~0, float32 noise on both sides) is listed, not
    // folded into the error figures of the others.
    if (e.conditioned.length) {
      s.conditioned.push(stack.id);
      return;
    }
    s.gradErrors.push(e.grad);
    s.zeroGradNoise = Math.max(s.zeroGradNoise, e.zeroGradNoise);
    if (e.grad > s.maxGradError) {
      s.maxGradError = e.grad;
      s.worst = `stack ${stack.id} ${e.worst}`;
    }
  });
  return s;
});

const ties = answers.reduce((a, r) => a + r.tieWindows, 0);
const tiesNonzero = answers.reduce((a, r) => a + r.tieWindowsNonzero, 0);
const kinks = answers.reduce((a, r) => a + r.kinkValues, 0);
const stacksWithTies = answers.filter((r) => r.tieWindowsNonzero > 0).length;
const stacksWithKinks = answers.filter((r) => r.kinkValues > 0).length;
const layerCounts: Record<string, number> = {};
for (const s of stacks) for (const l of s.layers) layerCounts[l.type] = (layerCounts[l.type] ?? 0) + 1;
const floorLayers = stacks.reduce((a, s) => a + s.layers.filter((l, i) => {
  if (l.type !== 'Convolution' && l.type !== 'Pooling') return false;
  const inShape = i === 0 ? s.inputShape : s.outputShapes[i - 1];
  const k = l.type === 'Convolution' ? (Array.isArray(l.kernelSize) ? l.kernelSize as number[] : [l.kernelSize as number, l.kernelSize as number])
    : [l.poolH as number, l.poolW as number];
  const pad = s.pads[i] ?? 0;
  const stride = l.stride as number;
  return (inShape[1] + 2 * pad - k[0]) % stride !== 0 || (inShape[2] + 2 * pad - k[1]) % stride !== 0;
}).length, 0);

if (values.json) {
  process.stdout.write(JSON.stringify({ stacks: count, seed, torch, tolerance: PARITY_TOL, layerCounts, floorLayers, ties, tiesNonzero, stacksWithTies, kinks, stacksWithKinks, variants: summaries }) + '\n');
} else {
  const fmt = (v: number) => v.toExponential(2);
  const lines = [
    `torch-parity: ${count} random stacks (seed ${seed}) against PyTorch ${torch} in float64, tolerance ${PARITY_TOL} of each gradient's scale`,
    `layers: ${Object.entries(layerCounts).map(([k, v]) => `${v} ${k}`).join(', ')}; ${floorLayers} Convolution/Pooling layers whose output size floors`,
    `max-pooling windows with a tie at the maximum (or within 2^-20): ${ties}, of which ${tiesNonzero} not at 0, in ${stacksWithTies} stacks; Relu inputs at the kink: ${kinks} in ${stacksWithKinks} stacks`,
    '',
    '| backend | max loss error | gradient error: median / 99th percentile / max over the stacks | max at | bias before batch norm (exact 0): largest | ill-conditioned: beyond tolerance, within 10× PyTorch float32\'s own error | beyond, at a tie / kink | beyond, unexplained |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summaries.map((s) => `| ${s.name} | ${fmt(s.maxLossError)} | ${fmt(quantile(s.gradErrors, 0.5))} / ${fmt(quantile(s.gradErrors, 0.99))} / ${fmt(s.maxGradError)} | ${s.worst} | ${fmt(s.zeroGradNoise)} | ${s.conditioned.length}${s.conditioned.length ? ` (stacks ${s.conditioned.join(', ')})` : ''} | ` +
      `${s.explained.length}${s.explained.length ? ` (stacks ${s.explained.map((e) => e.id).join(', ')})` : ''} | ${s.failed.length} |`),
    '',
    `(gradient error: max |scratchnet − PyTorch float64| over the tensor's largest |gradient| (or 1e-3 of the network's largest, when larger), ` +
      `the largest over a stack's parameters; loss error: |difference| / max(|loss|, 1). Tolerance ${PARITY_TOL}; beyond it a stack still agrees when ` +
      `the error is within 10× PyTorch's own float32 distance from float64 (an ill-conditioned stack: listed, and left out of the error figures). A bias right before a ` +
      `BatchNormalization has an exact gradient of 0: its column is its largest |gradient| over the network's largest, bounded by ${ZERO_GRAD_TOL}.)`,
  ];
  for (const s of summaries) {
    for (const f of s.failed) {
      lines.push(`FAILED ${s.name}: stack ${f.id}: beyond tolerance: ${f.error.beyond.join(', ')}; layers ${JSON.stringify(stacks[f.id].layers)}, input ${JSON.stringify(stacks[f.id].inputShape)}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}
process.exit(summaries.some((s) => s.failed.length > 0) ? 1 : 0);
