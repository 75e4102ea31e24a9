// Dropout: the mask comes from the shared counter-based hash, so it is checked bit for bit against
// lib/tensor/rng.ts and across backends; its statistics match the ratio.
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertEqualArrays } from '../helpers/compare';
import { Rng, randn32 } from '../helpers/random';
import { dropoutKey, dropoutUniform } from '../../lib/tensor/rng';

eachBackend('dropout mask is exactly u(seed, counter, i) > ratio and out = x · mask', (t, b) => {
  const rng = new Rng(3);
  const len = 1001;
  const x = randn32(rng, len);
  for (const [ratio, seed, counter] of [[0.5, 42, 0], [0.3, 42, 1], [0.8, 0xffffffff, 123456], [0, 1, 2]]) {
    const out = new Float32Array(len).fill(NaN);
    const mask = new Uint8Array(len).fill(7);
    b.dropoutForward(x, len, ratio, seed, counter, out, mask);
    const key = dropoutKey(seed, counter);
    const expectMask = Uint8Array.from({ length: len }, (_, i) => (dropoutUniform(key, i) > ratio ? 1 : 0));
    const ctx = `ratio ${ratio}, seed ${seed}, counter ${counter}`;
    assertEqualArrays(t, 'mask', mask, expectMask, ctx);
    assertEqualArrays(t, 'out', out, Float32Array.from(x, (v, i) => v * expectMask[i]), ctx);
    const dout = randn32(rng, len);
    const dx = new Float32Array(len).fill(NaN);
    b.dropoutBackward(dout, mask, len, dx);
    assertEqualArrays(t, 'dx', dx, Float32Array.from(dout, (v, i) => v * expectMask[i]), ctx);
  }
});

eachBackend('dropout mask statistics: kept fraction ≈ 1 − ratio, masks differ across counters and seeds', (t, b) => {
  const len = 200000;
  const x = new Float32Array(len).fill(1);
  const out = new Float32Array(len);
  const masks: Uint8Array[] = [];
  for (const [ratio, seed, counter] of [[0.5, 9, 0], [0.5, 9, 1], [0.5, 10, 0], [0.2, 9, 0]]) {
    const mask = new Uint8Array(len);
    b.dropoutForward(x, len, ratio, seed, counter, out, mask);
    let kept = 0;
    for (let i = 0; i < len; i++) kept += mask[i];
    // Binomial: σ = √(p(1−p)/len) ≤ 0.0012; 5σ cannot fail by chance in practice.
    const p = 1 - ratio;
    const tol = 5 * Math.sqrt((p * (1 - p)) / len);
    t.true(Math.abs(kept / len - p) < tol, `ratio ${ratio} seed ${seed} counter ${counter}: kept ${kept / len}, expected ${p} ± ${tol}`);
    masks.push(mask);
  }
  const agree = (a: Uint8Array, c: Uint8Array) => a.reduce((s, v, i) => s + (v === c[i] ? 1 : 0), 0) / len;
  // Independent masks at ratio 0.5 agree on about half of the elements.
  t.true(Math.abs(agree(masks[0], masks[1]) - 0.5) < 0.01, `counter 0 vs 1 agree on ${agree(masks[0], masks[1])}`);
  t.true(Math.abs(agree(masks[0], masks[2]) - 0.5) < 0.01, `seed 9 vs 10 agree on ${agree(masks[0], masks[2])}`);
  // Neighbouring elements are uncorrelated: P(mask[i] = mask[i+1]) ≈ 0.5.
  let same = 0;
  for (let i = 0; i + 1 < len; i++) same += masks[0][i] === masks[0][i + 1] ? 1 : 0;
  t.true(Math.abs(same / (len - 1) - 0.5) < 0.01, `adjacent elements agree on ${same / (len - 1)}`);
});

nativeVsReference('dropout: native and reference masks and outputs are identical', (t, nb, ref, threads) => {
  const rng = new Rng(707 + threads);
  for (const len of [1, 15, 1000, 100003]) {
    for (const ratio of [0.1, 0.5, 0.75]) {
      const seed = rng.nextU32();
      const counter = rng.int(1 << 20);
      const ctx = `len ${len}, ratio ${ratio}, seed ${seed}, counter ${counter}, ${threads} thread(s)`;
      const x = randn32(rng, len);
      const oa = new Float32Array(len).fill(NaN);
      const oe = new Float32Array(len);
      const ma = new Uint8Array(len).fill(9);
      const me = new Uint8Array(len);
      nb.dropoutForward(x, len, ratio, seed, counter, oa, ma);
      ref.dropoutForward(x, len, ratio, seed, counter, oe, me);
      assertEqualArrays(t, 'mask', ma, me, ctx);
      assertEqualArrays(t, 'out', oa, oe, ctx);
      const dout = randn32(rng, len);
      const da = new Float32Array(len).fill(NaN);
      const de = new Float32Array(len);
      nb.dropoutBackward(dout, me, len, da);
      ref.dropoutBackward(dout, me, len, de);
      assertEqualArrays(t, 'dx', da, de, ctx);
    }
  }
});
