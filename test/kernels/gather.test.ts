// gatherBytes: the data loader's byte → float batch conversion. Both backends give the same bits
// (byte / divisor in double, rounded once), in order or by row indices, and ImageSet.gather routes
// through it.
import type { Backend } from '../../lib/backend/types';
import { eachBackend, nativeVsReference } from '../helpers/backends';
import { assertEqualArrays } from '../helpers/compare';
import { Rng, intIn } from '../helpers/random';

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

eachBackend('gatherBytes converts the chosen rows, byte / divisor rounded once to float32', (t, b: Backend) => {
  const src = Uint8Array.from({ length: 15 }, (_, i) => i * 17);
  const out = new Float32Array(10).fill(NaN);
  b.gatherBytes(src, 5, Int32Array.from([9, 2, 0, 9]), 1, 3, 255, out);
  t.deepEqual([...out], [...src.subarray(10, 15), ...src.subarray(0, 5)].map((v) => Math.fround(v / 255)));
  b.gatherBytes(src, 5, null, 1, 3, 1, out);
  t.deepEqual([...out], [...src.subarray(5, 15)]);
  // Every byte value, against JavaScript's own division.
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const o = new Float32Array(256);
  b.gatherBytes(all, 256, null, 0, 1, 255, o);
  t.deepEqual([...o], [...all].map((v) => Math.fround(v / 255)));
});

nativeVsReference('gatherBytes: native vs reference, bit for bit, on random rows', (t, nb, ref) => {
  const rng = new Rng(5);
  for (let k = 0; k < 20; k++) {
    const rowLength = intIn(rng, 1, 800);
    const count = intIn(rng, 1, 30);
    const src = randomBytes(rng, rowLength * count);
    const rows = Int32Array.from({ length: intIn(rng, 1, 40) }, () => rng.int(count));
    const start = rng.int(rows.length);
    const end = start + rng.int(rows.length - start + 1);
    const divisor = k % 2 ? 255 : 1 + rng.uniform() * 300;
    const a = new Float32Array((end - start) * rowLength);
    const e = new Float32Array(a.length);
    nb.gatherBytes(src, rowLength, rows, start, end, divisor, a);
    ref.gatherBytes(src, rowLength, rows, start, end, divisor, e);
    assertEqualArrays(t, 'out', a, e, `rowLength ${rowLength}, rows ${start}..${end}, divisor ${divisor}`);
  }
});
