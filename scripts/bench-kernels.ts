// Times every kernel of one SimpleConvNet training step (the book's ch. 7 network: conv 1→30 5×5
// on 28×28, ReLU, pool 2×2 stride 2, Affine 4320→100, ReLU, Affine 100→10, SoftmaxWithLoss, Adam)
// at batch 100, on the native addon and on the reference backend, and checks the step against
// the 4 ms target.
//
//   node dist/scripts/bench-kernels.js [--reps N] [--ref-reps N] [--threads T] [--gemm openblas|builtin] [--json]
//
// Medians over N repetitions (the machine is shared: compare ratios from one run).
import { loadNative } from '../lib/backend/native';
import { referenceBackend } from '../lib/backend/reference';
import type { Backend, ConvGeometry, PoolGeometry } from '../lib/backend/types';
import { colLength, convGeometry, poolGeometry } from '../lib/tensor/shape';
import { Rng } from '../lib/tensor/rng';
import { failFor, intFlag, median, parseFlags } from './bench-util';

const TARGET_MS = 4;

interface Options { reps: number; refReps: number; threads: number | null; gemm: string | null; json: boolean; }

const USAGE = 'usage: node dist/scripts/bench-kernels.js [--reps N] [--ref-reps N] [--threads T] [--gemm openblas|builtin] [--json]';

function parseOptions(): Options {
  const fail = failFor('bench-kernels');
  const v = parseFlags(fail, {
    reps: { type: 'string' }, 'ref-reps': { type: 'string' }, threads: { type: 'string' }, gemm: { type: 'string' },
    json: { type: 'boolean' },
  }, USAGE);
  return {
    reps: intFlag(fail, 'reps', v.reps) ?? 50,
    refReps: intFlag(fail, 'ref-reps', v['ref-reps']) ?? 3,
    threads: intFlag(fail, 'threads', v.threads) ?? null,
    gemm: v.gemm ?? null,
    json: v.json ?? false,
  };
}

/** Every buffer of one SimpleConvNet step, allocated once; the kernels only read and write them. */
class Step {
  readonly n = 100;
  readonly conv: ConvGeometry;
  readonly pool: PoolGeometry;
  readonly d1: number; // 4320
  readonly h1 = 100;
  readonly k = 10;
  x: Float32Array; labels: Int32Array;
  W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array; W3: Float32Array; b3: Float32Array;
  col: Float32Array; colScratch: Float32Array; convOut: Float32Array; relu1: Float32Array; poolOut: Float32Array; argmax: Int32Array;
  a1: Float32Array; relu2: Float32Array; a2: Float32Array; probs: Float32Array;
  dA2: Float32Array; dRelu2: Float32Array; dA1: Float32Array; dPool: Float32Array; dRelu1: Float32Array; dConv: Float32Array;
  dW1: Float32Array; db1: Float32Array; dW2: Float32Array; db2: Float32Array; dW3: Float32Array; db3: Float32Array;
  dx: Float32Array;
  params: Float32Array[]; grads: Float32Array[]; m: Float32Array[]; v: Float32Array[];

  constructor(seed: number) {
    const rng = new Rng(seed);
    const randn = (len: number, s: number): Float32Array => {
      const a = new Float32Array(len);
      for (let i = 0; i < len; i++) a[i] = rng.normal() * s;
      return a;
    };
    this.conv = convGeometry('Convolution', [this.n, 1, 28, 28], { filters: 30, kh: 5, kw: 5, stride: 1, pad: 0 });
    const c = this.conv;
    this.pool = poolGeometry('Pooling', [this.n, c.f, c.oh, c.ow], { ph: 2, pw: 2, stride: 2, pad: 0 });
    const p = this.pool;
    this.d1 = p.c * p.oh * p.ow;
    this.x = randn(this.n * 28 * 28, 1);
    this.labels = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) this.labels[i] = rng.int(this.k);
    this.W1 = randn(c.f * c.c * c.kh * c.kw, 0.01); this.b1 = new Float32Array(c.f);
    this.W2 = randn(this.d1 * this.h1, 0.01); this.b2 = new Float32Array(this.h1);
    this.W3 = randn(this.h1 * this.k, 0.01); this.b3 = new Float32Array(this.k);
    this.col = new Float32Array(colLength(c));
    this.colScratch = new Float32Array(colLength(c));
    const convLen = c.n * c.f * c.oh * c.ow;
    this.convOut = new Float32Array(convLen); this.relu1 = new Float32Array(convLen);
    this.poolOut = new Float32Array(this.n * this.d1); this.argmax = new Int32Array(this.n * this.d1);
    this.a1 = new Float32Array(this.n * this.h1); this.relu2 = new Float32Array(this.n * this.h1);
    this.a2 = new Float32Array(this.n * this.k); this.probs = new Float32Array(this.n * this.k);
    this.dA2 = new Float32Array(this.n * this.k); this.dRelu2 = new Float32Array(this.n * this.h1);
    this.dA1 = new Float32Array(this.n * this.h1); this.dPool = new Float32Array(this.n * this.d1);
    this.dRelu1 = new Float32Array(convLen); this.dConv = new Float32Array(convLen);
    this.dW1 = new Float32Array(this.W1.length); this.db1 = new Float32Array(c.f);
    this.dW2 = new Float32Array(this.W2.length); this.db2 = new Float32Array(this.h1);
    this.dW3 = new Float32Array(this.W3.length); this.db3 = new Float32Array(this.k);
    this.dx = new Float32Array(this.x.length);
    this.params = [this.W1, this.b1, this.W2, this.b2, this.W3, this.b3];
    this.grads = [this.dW1, this.db1, this.dW2, this.db2, this.dW3, this.db3];
    this.m = this.params.map((a) => new Float32Array(a.length));
    this.v = this.params.map((a) => new Float32Array(a.length));
  }
}

interface KernelCase {
  name: string;
  /** Multiply-add work ×2, for the GEMM steps; 0 otherwise. */
  flops: number;
  /**
   * Part of one SimpleConvNet forward+backward as Sequential runs it, Conv1 → Relu1 → Pool1 fused
   * (the table also shows kernels that are not).
   */
  inStep: boolean;
  /** Part of the same step with Convolution, Relu and Pooling run one by one (fuse: false). */
  inSeparateStep: boolean;
  run(b: Backend, s: Step): void;
}

function cases(s: Step): KernelCase[] {
  const c = s.conv, p = s.pool, n = s.n;
  const convFlops = 2 * c.n * c.f * c.c * c.kh * c.kw * c.oh * c.ow;
  const convLen = c.n * c.f * c.oh * c.ow;
  const aff1 = 2 * n * s.d1 * s.h1, aff2 = 2 * n * s.h1 * s.k;
  let t = 0;
  // Kernels of both step forms; `only` marks the fused (F) or separate (S) form's own kernels.
  const k = (name: string, flops: number, only: 'F' | 'S' | null, run: KernelCase['run']): KernelCase =>
    ({ name, flops, inStep: only !== 'S', inSeparateStep: only !== 'F', run });
  return [
    { name: 'im2col', flops: 0, inStep: false, inSeparateStep: false, run: (b) => b.im2col(s.x, c, s.col) },
    k('convForward', convFlops, 'S', (b) => b.convForward(s.x, s.W1, s.b1, c, s.convOut, s.col)),
    k('reluForward (conv)', 0, 'S', (b) => b.reluForward(s.convOut, convLen, s.relu1)),
    k('poolForward', 0, 'S', (b) => b.poolForward(s.relu1, p, s.poolOut, s.argmax)),
    k('convReluPoolForward (fused)', convFlops, 'F', (b) => b.convReluPoolForward(s.x, s.W1, s.b1, c, p, s.poolOut, s.argmax)),
    k('affineForward 4320→100', aff1, null, (b) => b.affineForward(s.poolOut, s.W2, s.b2, n, s.d1, s.h1, s.a1)),
    k('reluForward (affine)', 0, null, (b) => b.reluForward(s.a1, n * s.h1, s.relu2)),
    k('affineForward 100→10', aff2, null, (b) => b.affineForward(s.relu2, s.W3, s.b3, n, s.h1, s.k, s.a2)),
    k('softmaxLoss forward', 0, null, (b) => { b.softmaxCrossEntropyForward(s.a2, s.labels, n, s.k, s.probs); }),
    k('softmaxLoss backward', 0, null, (b) => b.softmaxCrossEntropyBackward(s.probs, s.labels, n, s.k, 1 / n, s.dA2)),
    k('affineBackward 100→10', 2 * aff2, null, (b) => b.affineBackward(s.dA2, s.relu2, s.W3, n, s.h1, s.k, s.dW3, s.db3, s.dRelu2)),
    k('reluBackward (affine)', 0, null, (b) => b.reluBackward(s.dRelu2, s.relu2, n * s.h1, s.dA1)),
    k('affineBackward 4320→100', 2 * aff1, null, (b) => b.affineBackward(s.dA1, s.poolOut, s.W2, n, s.d1, s.h1, s.dW2, s.db2, s.dPool)),
    k('poolBackward', 0, 'S', (b) => b.poolBackward(s.dPool, s.argmax, p, s.dRelu1)),
    k('reluBackward (conv)', 0, 'S', (b) => b.reluBackward(s.dRelu1, s.relu1, convLen, s.dConv)),
    // The first layer needs no input gradient, so the step uses the variant without dx; the
    // one with dx (as a deeper layer runs it) works on a copy of col, which it overwrites.
    k('convBackward (no dx)', convFlops, 'S', (b) => b.convBackward(s.dConv, s.W1, s.col, c, s.dW1, s.db1, null)),
    {
      name: 'convBackward (with dx)', flops: 2 * convFlops, inStep: false, inSeparateStep: false,
      run: (b) => { s.colScratch.set(s.col); b.convBackward(s.dConv, s.W1, s.colScratch, c, s.dW1, s.db1, s.dx); },
    },
    // dW and db from the positive pooling windows only; the product counts the dense work it stands for.
    k('convReluPoolBackward (fused, no dx)', convFlops, 'F', (b) => b.convReluPoolBackward(s.dPool, s.poolOut, s.argmax, s.x, s.W1, c, p, s.dW1, s.db1, null)),
    k('adamUpdate (all params)', 0, null, (b) => {
      t++;
      for (let i = 0; i < s.params.length; i++) {
        b.adamUpdate(s.params[i], s.grads[i], s.m[i], s.v[i], s.params[i].length, 1e-3, 0.9, 0.999, t, 0);
      }
    }),
  ];
}

function timeIt(fn: () => void, reps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

interface Row { kernel: string; nativeMs: number; referenceMs: number; speedup: number; gflops: number | null; inStep: boolean; }

function main(): void {
  const o = parseOptions();
  const loaded = loadNative();
  if (!loaded.backend) {
    process.stderr.write(`bench-kernels: the native addon is not available.\n${loaded.error}\n`);
    process.exit(1);
  }
  const native = loaded.backend;
  const extra = native as unknown as { info(): Record<string, unknown>; setGemm?(name: string): void };
  if (o.threads !== null) native.setNumThreads(o.threads);
  if (o.gemm !== null) {
    if (!extra.setGemm) throw new Error('bench-kernels: this addon build has no setGemm; rebuild it with npm run build:native');
    extra.setGemm(o.gemm);
  }
  const info = extra.info();

  // Separate buffers per backend: Adam steps and ReLU outputs must not leak between them.
  const sn = new Step(1), sr = new Step(1);
  const nCases = cases(sn), rCases = cases(sr);
  // Fill every intermediate once (in step order, both forms) so that each kernel sees realistic inputs.
  for (const k of nCases) if (k.inSeparateStep || k.inStep) k.run(native, sn);
  for (const k of rCases) if (k.inSeparateStep || k.inStep) k.run(referenceBackend, sr);

  const rows: Row[] = [];
  for (let i = 0; i < nCases.length; i++) {
    const nativeMs = timeIt(() => nCases[i].run(native, sn), o.reps, 3);
    const referenceMs = timeIt(() => rCases[i].run(referenceBackend, sr), o.refReps, 1);
    rows.push({
      kernel: nCases[i].name, nativeMs, referenceMs, speedup: referenceMs / nativeMs,
      gflops: nCases[i].flops ? nCases[i].flops / (nativeMs * 1e6) : null, inStep: nCases[i].inStep,
    });
  }

  const stepCases = nCases.filter((k) => k.inStep);
  const sumNative = rows.filter((r) => r.inStep).reduce((a, r) => a + r.nativeMs, 0);
  const sumReference = rows.filter((r) => r.inStep).reduce((a, r) => a + r.referenceMs, 0);
  const sequenceNative = timeIt(() => { for (const k of stepCases) k.run(native, sn); }, o.reps, 3);
  const sequenceReference = timeIt(() => { for (const k of rCases) if (k.inStep) k.run(referenceBackend, sr); }, o.refReps, 0);
  const separateCases = nCases.filter((k) => k.inSeparateStep);
  const sequenceSeparateNative = timeIt(() => { for (const k of separateCases) k.run(native, sn); }, o.reps, 3);
  const separateRefCases = rCases.filter((k) => k.inSeparateStep);
  const sequenceSeparateReference = timeIt(() => { for (const k of separateRefCases) k.run(referenceBackend, sr); }, o.refReps, 0);
  const convRow = (name: string) => rows.find((r) => r.kernel === name)!;
  const convNative = convRow('convForward').nativeMs + convRow('convBackward (with dx)').nativeMs;
  const convReference = convRow('convForward').referenceMs + convRow('convBackward (with dx)').referenceMs;
  const stepFlops = nCases.filter((k) => k.inStep).reduce((a, k) => a + k.flops, 0);

  const summary = {
    info, threads: native.getNumThreads(), reps: o.reps, referenceReps: o.refReps, batch: sn.n,
    stepMflop: stepFlops / 1e6,
    stepSumNativeMs: sumNative, stepSequenceNativeMs: sequenceNative,
    stepSumReferenceMs: sumReference, stepSequenceReferenceMs: sequenceReference,
    stepSpeedup: sequenceReference / sequenceNative,
    stepSeparateSequenceNativeMs: sequenceSeparateNative, stepSeparateSequenceReferenceMs: sequenceSeparateReference,
    stepSpeedupOverSeparateReference: sequenceSeparateReference / sequenceNative,
    convForwardBackwardSpeedup: convReference / convNative,
    targetMs: TARGET_MS, meetsTarget: sequenceNative <= TARGET_MS,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify({ rows, summary }, null, 2) + '\n');
    return;
  }

  const out: string[] = [];
  out.push(`scratchnet kernels, SimpleConvNet shapes, batch ${sn.n}: ${native.getNumThreads()} threads, ` +
    `SIMD ${String(info.simd)}, GEMM ${String(info.gemm ?? 'openblas')}, OpenBLAS core ${String(info.openblasCoreName)}`);
  out.push(`medians of ${o.reps} native / ${o.refReps} reference runs (ms)\n`);
  const head = ['kernel', 'native ms', 'reference ms', 'speed-up', 'GFLOP/s'];
  const table = rows.map((r) => [
    r.kernel + (r.inStep ? '' : ' *'), r.nativeMs.toFixed(3), r.referenceMs.toFixed(1),
    `${r.speedup.toFixed(0)}×`, r.gflops === null ? '' : r.gflops.toFixed(1),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...table.map((row) => row[j].length)));
  const fmt = (cells: string[]) => cells.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ');
  out.push(fmt(head));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) out.push(fmt(row));
  out.push('(* not part of the step below, which runs Conv1 → Relu1 → Pool1 fused as Sequential does; im2col runs inside\n' +
    '   convForward; the first layer skips dx. The fused backward skips non-positive windows: its GFLOP/s is of the dense work it replaces)\n');
  out.push(`conv forward+backward (with dx): native ${convNative.toFixed(3)} ms, reference ${convReference.toFixed(1)} ms: ` +
    `${summary.convForwardBackwardSpeedup.toFixed(0)}× (target ≥ 50×)`);
  out.push(`one SimpleConvNet forward+backward+Adam (${summary.stepMflop.toFixed(1)} MFLOP of GEMM):`);
  out.push(`  sum of kernel medians  native ${sumNative.toFixed(3)} ms   reference ${sumReference.toFixed(1)} ms`);
  out.push(`  timed as one sequence  native ${sequenceNative.toFixed(3)} ms   reference ${sequenceReference.toFixed(1)} ms  ` +
    `(${summary.stepSpeedup.toFixed(0)}×, ${(stepFlops / (sequenceNative * 1e6)).toFixed(1)} GFLOP/s)`);
  out.push(`  the same step with Convolution, Relu and Pooling run one by one: native ${sequenceSeparateNative.toFixed(3)} ms   ` +
    `reference ${sequenceSeparateReference.toFixed(1)} ms (fused native is ${summary.stepSpeedupOverSeparateReference.toFixed(0)}× that reference)`);
  out.push(`  target ≤ ${TARGET_MS} ms: ${summary.meetsTarget ? 'met' : 'NOT met'}`);
  process.stdout.write(out.join('\n') + '\n');
}

main();
