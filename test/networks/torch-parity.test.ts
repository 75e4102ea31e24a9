// A few random stacks through the PyTorch parity check of scripts/torch-parity.ts (which runs 200
// and is reported in the README): the loss and every parameter gradient of scratchnet — native
// fused, native unfused, reference — agree with PyTorch's float64 ones within float32 tolerance.
// Skipped, with the reason in the title, when no Python imports torch.
import test from 'ava';
import { loadNative } from '../../lib/backend/native';
import { Rng } from '../../lib/tensor/rng';
import { findTorch } from '../../scripts/bench-floor/torch';
import { compare, PARITY_TOL, randomStack, runStack, runTorch } from '../../scripts/torch-parity/stacks';

const py = findTorch(undefined);
const native = loadNative();

if ('unavailable' in py) {
  test.skip(`PyTorch parity on 8 random stacks — SKIPPED, ${py.unavailable}`, () => undefined);
} else {
  test('PyTorch parity on 8 random stacks (floor geometries, padding modes, fused and unfused): loss and every gradient', (t) => {
    const rng = new Rng(2026);
    const stacks = Array.from({ length: 8 }, (_, i) => randomStack(rng, i));
    // the draw must reach what this check is for: output sizes that floor, and the fused blocks
    const floors = stacks.some((s) => s.layers.some((l, i) => {
      if (l.type !== 'Convolution') return false;
      const inH = i === 0 ? s.inputShape[1] : s.outputShapes[i - 1][1];
      const k = Array.isArray(l.kernelSize) ? (l.kernelSize as number[])[0] : l.kernelSize as number;
      return (inH + 2 * (s.pads[i] ?? 0) - k) % (l.stride as number) !== 0;
    }));
    t.true(floors, 'some stack has a convolution whose output height floors');
    const { answers } = runTorch(py.python, stacks);
    const runs: Array<[string, (i: number) => ReturnType<typeof runStack>]> = [['reference', (i) => runStack(stacks[i], 'reference', true)]];
    if (native.backend) {
      const nb = native.backend;
      runs.push([`native ${nb.simd} fused`, (i) => runStack(stacks[i], nb, true)]);
      runs.push([`native ${nb.simd} unfused`, (i) => runStack(stacks[i], nb, false)]);
    } else {
      t.log(`native backend not loaded (${native.error?.split('\n')[0]}): reference only`);
    }
    for (const [name, run] of runs) {
      stacks.forEach((s, i) => {
        const e = compare(run(i), answers[i], s);
        const tie = answers[i].tieWindowsNonzero > 0 || answers[i].kinkValues > 0;
        t.true(e.beyond.length === 0 || tie,
          `${name}, stack ${i} ${JSON.stringify(s.layers)} on ${JSON.stringify(s.inputShape)}: beyond ${PARITY_TOL}: ${e.beyond.join(', ')} (largest error ${e.grad.toExponential(2)} at ${e.worst})`);
        if (tie && e.beyond.length) t.log(`${name}, stack ${i}: differs at a max-pooling tie or Relu kink: ${e.beyond.join(', ')}`);
      });
    }
  });
}
