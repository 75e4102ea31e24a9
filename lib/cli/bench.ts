// scratchnet bench: one training step (forward, backward, update) timed layer by layer on the
// native and the reference backend, medians over --reps, the speed-up, and a check that both
// backends compute the same loss and gradients from the same parameters and batch.
import type { Backend } from '../backend/types';
import { nativeStatus, resolveBackend } from '../backend/index';
import { createOptimizer } from '../optimizers/index';
import type { Sequential } from '../networks/sequential';
import { presetNames } from '../networks/resolve';
import { CliError, type CommandSpec, flag, helpText, num, parseCommand, str } from './options';
import { buildNetwork, chooseModel, io, loadData, oneLine, table } from './common';
import { plural } from '../format';

/**
 * Both backends run float32 but sum in different orders (OpenBLAS blocks its GEMM reductions,
 * the reference loops run straight through), so results differ by rounding: over reductions of
 * a few thousand terms that is ~1e-6 relative per value; 1e-3 of the largest gradient entry is
 * far above that and far below any real bug (a wrong index or a missing term moves whole
 * entries by O(1) of their scale).
 */
export const GRAD_TOLERANCE = 1e-3;
export const LOSS_TOLERANCE = 1e-4;

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'time one training step per layer on the native and reference backends and compare their results',
  usage: 'scratchnet bench [--model <name|file.json>] [--batch-size n] [--reps n] [--unfused] [--json]',
  options: {
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')} or a model file`, def: 'simple-convnet' },
    'batch-size': { type: 'string', arg: '<n>', help: 'images per step', def: '100' },
    reps: { type: 'string', arg: '<n>', help: 'timed steps per backend (after one warm-up)', def: '10' },
    'reference-reps': { type: 'string', arg: '<n>', help: 'timed steps on the slow reference backend', def: 'same as --reps' },
    threads: { type: 'string', arg: '<n>', help: 'native kernel threads', def: 'all cores' },
    unfused: { type: 'boolean', help: 'time Convolution, Relu and Pooling one by one instead of as one fused kernel' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  examples: ['scratchnet bench', 'scratchnet bench --model lenet5 --batch-size 32 --reps 5 --json'],
};

interface Timing {
  layers: { name: string; kind: string; forwardMs: number; backwardMs: number }[];
  lossForwardMs: number;
  lossBackwardMs: number;
  updateMs: number;
  forwardMs: number;
  backwardMs: number;
  totalMs: number;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Times `reps` full steps (after one warm-up), recording each layer's forward and backward. */
function timeSteps(net: Sequential, x: Sequential['params'][string], t: Int32Array, reps: number): Timing {
  const steps = net.executionSteps();
  const L = steps.length;
  const fw = Array.from({ length: L }, () => [] as number[]);
  const bw = Array.from({ length: L }, () => [] as number[]);
  const lossF: number[] = [];
  const lossB: number[] = [];
  const upd: number[] = [];
  const fwdTot: number[] = [];
  const bwdTot: number[] = [];
  const tot: number[] = [];
  const opt = createOptimizer('adam', { backend: net.backend });
  for (let r = 0; r <= reps; r++) {
    const s0 = process.hrtime.bigint();
    let out = x;
    for (let i = 0; i < L; i++) {
      const t0 = process.hrtime.bigint();
      out = steps[i].forward(out, true);
      if (r > 0) fw[i].push(ms(t0));
    }
    let t0 = process.hrtime.bigint();
    net.lastLayer.forward(out, t);
    if (r > 0) lossF.push(ms(t0));
    const f = ms(s0);
    const b0 = process.hrtime.bigint();
    t0 = process.hrtime.bigint();
    let dout = net.lastLayer.backward(1);
    if (r > 0) lossB.push(ms(t0));
    for (let i = L - 1; i >= 0; i--) {
      t0 = process.hrtime.bigint();
      dout = steps[i].backward(dout!)!;
      if (r > 0) bw[i].push(ms(t0));
    }
    const b = ms(b0);
    t0 = process.hrtime.bigint();
    opt.update(net.params, net.grads);
    if (r > 0) {
      upd.push(ms(t0));
      fwdTot.push(f);
      bwdTot.push(b);
      tot.push(ms(s0));
    }
  }
  return {
    layers: steps.map((l, i) => ({ name: l.label, kind: l.kind, forwardMs: median(fw[i]), backwardMs: median(bw[i]) })),
    lossForwardMs: median(lossF), lossBackwardMs: median(lossB), updateMs: median(upd),
    forwardMs: median(fwdTot), backwardMs: median(bwdTot), totalMs: median(tot),
  };
}

export async function benchCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(benchSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(benchSpec));
    return 0;
  }
  const json = flag(v, 'json');
  const batch = num('bench', v, 'batch-size', { int: true, min: 1, max: 60000 }) ?? 100;
  const reps = num('bench', v, 'reps', { int: true, min: 1 }) ?? 10;
  const refReps = num('bench', v, 'reference-reps', { int: true, min: 1 }) ?? reps;
  const threads = num('bench', v, 'threads', { int: true, min: 1, max: 256 });
  const choice = chooseModel('bench', str(v, 'model') ?? 'simple-convnet');

  const st = nativeStatus();
  const backends: Backend[] = [];
  if (st.loaded) {
    const nb = resolveBackend('native');
    if (threads !== undefined) nb.setNumThreads(threads);
    backends.push(nb);
  }
  backends.push(resolveBackend('reference'));
  const nativeMsg = st.loaded ? null : `native backend not available: ${oneLine(st.error ?? '')}`;
  if (nativeMsg && !json) io.out(`${nativeMsg}\nTiming the reference backend only; no comparison.`);

  const nets = backends.map((b) => buildNetwork('bench', choice, b, 0));
  if (flag(v, 'unfused')) for (const net of nets) net.fuse = false;
  // Identical starting parameters on every backend, whatever each init did.
  for (let i = 1; i < nets.length; i++) nets[i].setParams(nets[0].namedTensors(), 'the first backend');
  const m = loadData('bench', {}, nets[0].inputShape);
  const xs = m.xTrain;
  const labels = new Int32Array(batch);
  m.tTrain.gather(null, 0, batch, labels);

  // --- agreement: one forward/backward from the same state on each backend ---
  const results = nets.map((net) => {
    const xb = net.inputBuffer(batch);
    xs.gather(null, 0, batch, xb.data);
    const grads = net.gradient(xb, labels);
    const copy: Record<string, Float32Array> = {};
    for (const [k, g] of Object.entries(grads)) copy[k] = Float32Array.from(g.data);
    return { loss: net.lastLoss, grads: copy };
  });
  let check: null | {
    lossNative: number; lossReference: number; lossAbsDiff: number;
    grads: Record<string, { maxAbsDiff: number; relative: number }>;
    maxRelative: number; tolerance: { loss: number; gradients: number }; ok: boolean;
  } = null;
  if (nets.length === 2) {
    const [a, b] = results;
    const grads: Record<string, { maxAbsDiff: number; relative: number }> = {};
    let maxRel = 0;
    for (const k of Object.keys(a.grads)) {
      let d = 0;
      let scale = 0;
      const ga = a.grads[k];
      const gb = b.grads[k];
      for (let i = 0; i < ga.length; i++) {
        d = Math.max(d, Math.abs(ga[i] - gb[i]));
        scale = Math.max(scale, Math.abs(ga[i]), Math.abs(gb[i]));
      }
      const rel = scale > 0 ? d / scale : d;
      grads[k] = { maxAbsDiff: d, relative: rel };
      maxRel = Math.max(maxRel, rel);
    }
    const lossDiff = Math.abs(a.loss - b.loss);
    const ok = lossDiff <= LOSS_TOLERANCE * Math.max(1, Math.abs(b.loss)) && maxRel <= GRAD_TOLERANCE && Number.isFinite(maxRel);
    check = { lossNative: a.loss, lossReference: b.loss, lossAbsDiff: lossDiff, grads, maxRelative: maxRel, tolerance: { loss: LOSS_TOLERANCE, gradients: GRAD_TOLERANCE }, ok };
  }

  // --- timing ---
  const timings: Record<string, Timing & { reps: number; threads: number }> = {};
  nets.forEach((net, i) => {
    const b = backends[i];
    const r = b.name === 'reference' ? refReps : reps;
    const xb = net.inputBuffer(batch);
    xs.gather(null, 0, batch, xb.data);
    timings[b.name] = { ...timeSteps(net, xb, labels, r), reps: r, threads: b.getNumThreads() };
  });
  const nat = timings.native;
  const ref = timings.reference;
  const speedup = nat ? ref.totalMs / nat.totalMs : null;

  if (json) {
    io.json({ model: choice.name, batchSize: batch, native: st.loaded, nativeError: nativeMsg, timings, speedup, check });
    return check && !check.ok ? 1 : 0;
  }
  io.out(`${choice.name}, batch ${batch}: median of ${nat ? `${plural(nat.reps, 'step')} (native, ${plural(nat.threads, 'thread')}) / ` : ''}${plural(ref.reps, 'step')} (reference), milliseconds`);
  const f = (x: number) => (x < 10 ? x.toFixed(3) : x.toFixed(1));
  const head = nat ? ['layer', 'native fwd', 'native bwd', 'ref fwd', 'ref bwd', 'speed-up'] : ['layer', 'ref fwd', 'ref bwd'];
  const rows: string[][] = [head];
  const row = (name: string, nf: number | null, nbw: number | null, rf: number, rb: number) => {
    if (nat) rows.push([name, f(nf!), f(nbw!), f(rf), f(rb), `${((rf + rb) / Math.max(1e-9, nf! + nbw!)).toFixed(1)}×`]);
    else rows.push([name, f(rf), f(rb)]);
  };
  ref.layers.forEach((l, i) => row(`${l.name} (${l.kind})`, nat?.layers[i].forwardMs ?? null, nat?.layers[i].backwardMs ?? null, l.forwardMs, l.backwardMs));
  row('SoftmaxWithLoss', nat?.lossForwardMs ?? null, nat?.lossBackwardMs ?? null, ref.lossForwardMs, ref.lossBackwardMs);
  if (nat) rows.push(['update (Adam)', f(nat.updateMs), '', f(ref.updateMs), '', `${(ref.updateMs / Math.max(1e-9, nat.updateMs)).toFixed(1)}×`]);
  else rows.push(['update (Adam)', f(ref.updateMs), '']);
  if (nat) rows.push(['total step', f(nat.forwardMs), f(nat.backwardMs), f(ref.forwardMs), f(ref.backwardMs), `${speedup!.toFixed(1)}×`]);
  else rows.push(['total step', f(ref.forwardMs), f(ref.backwardMs)]);
  io.out(table(rows, [1, 2, 3, 4, 5]));
  if (nat) {
    io.out(`whole step: native ${f(nat.totalMs)} ms, reference ${f(ref.totalMs)} ms → ${speedup!.toFixed(1)}× faster (${Math.round((batch / nat.totalMs) * 1000)} vs ${Math.round((batch / ref.totalMs) * 1000)} images/s)`);
  }
  if (check) {
    const worst = Object.entries(check.grads).sort((a, b) => b[1].relative - a[1].relative)[0];
    io.out(`agreement: loss native ${check.lossNative.toFixed(6)} vs reference ${check.lossReference.toFixed(6)} (|diff| ${check.lossAbsDiff.toExponential(2)}, tolerance ${LOSS_TOLERANCE}·max(1,|loss|)); ` +
      `gradients max |diff| / max |grad| = ${check.maxRelative.toExponential(2)}${worst ? ` (worst ${worst[0]}, max |diff| ${worst[1].maxAbsDiff.toExponential(2)})` : ''}, tolerance ${GRAD_TOLERANCE}: ${check.ok ? 'OK' : 'MISMATCH'}`);
    if (!check.ok) {
      io.err(`scratchnet bench: the native and reference backends disagree beyond the tolerance (see the line above); this is a bug in a kernel, please report it with the output of scratchnet info.`);
      return 1;
    }
  }
  return 0;
}
