// The pieces Sequential's batched inference and the Trainer's validation share: the walk over a
// set in batches of one size (a partial last batch moved back, its seen rows skipped), the row
// argmax (first maximum wins, as NumPy's), and the snapshot a diagnostic forward restores.
import test from 'ava';
import { getBackend, referenceBackend } from '../../lib/backend';
import { ImageSet } from '../../lib/data/dataset';
import { Dropout } from '../../lib/layers/dropout';
import { MultiLayerNetExtend } from '../../lib/networks';
import { forEachScoreBatch } from '../../lib/networks/inference';
import { argmaxRow } from '../../lib/networks/labels';
import { snapshotState } from '../../lib/networks/snapshot';
import { Tensor } from '../../lib/tensor/tensor';

/** Samples whose every value is their index, so a score row says which sample it came from. */
function indexed(n: number, per: number): Tensor {
  const x = Tensor.zeros([n, per]);
  for (let i = 0; i < n; i++) x.data.fill(i, i * per, (i + 1) * per);
  return x;
}

test('forEachScoreBatch: every sample once, in order, at its row, whatever the batch and the last partial batch', (t) => {
  const per = 3;
  for (const n of [1, 7, 10, 23]) {
    for (const b of [1, 4, 5, 10, n]) {
      if (b > n) continue;
      const x = indexed(n, per);
      for (const source of [x, ImageSet.fromTensor(x)]) {
        const seen: number[] = [];
        let batches = 0;
        // The "scores" are the batch itself: row r of the batch holds the index of its sample.
        forEachScoreBatch(source, n, Tensor.zeros([b, per]), referenceBackend, (xb) => { batches++; return xb.data; }, (y, row, first, count) => {
          t.true(count >= 1 && row + count <= b, `n ${n}, b ${b}: rows ${row}..${row + count} inside the batch`);
          for (let i = 0; i < count; i++) {
            t.is(y[(row + i) * per], first + i, `n ${n}, b ${b}: row ${row + i} holds sample ${first + i}`);
            seen.push(first + i);
          }
        });
        t.deepEqual(seen, Array.from({ length: n }, (_, i) => i), `n ${n}, b ${b}: each sample exactly once`);
        t.is(batches, Math.ceil(n / b), `n ${n}, b ${b}: ⌈n / b⌉ forward passes`);
      }
    }
  }
});

test('argmaxRow: the first of equal maxima wins (NumPy argmax), read at an offset', (t) => {
  t.is(argmaxRow([3, 1, 3], 0, 3), 0);
  t.is(argmaxRow([0, 9, 1, 5, 5, 2], 3, 3), 0);
  t.is(argmaxRow([0, 9, 1, 2, 5, 5], 3, 3), 1);
  t.is(argmaxRow([-4, -2, -3], 0, 3), 1);
  t.is(argmaxRow(new Float32Array([7]), 0, 1), 0);
});

test('snapshotState: all() puts back dropout positions and batch-norm running averages after training forwards', (t) => {
  const net = new MultiLayerNetExtend({
    backend: getBackend(), seed: 2, inputSize: 12, hiddenSizeList: [8, 8], outputSize: 3, useDropout: true, dropoutRatio: 0.3, useBatchnorm: true,
  });
  const x = indexed(4, 12);
  const drop = net.layers.find((l): l is Dropout => l instanceof Dropout)!;
  t.truthy(drop, 'the stack has a Dropout');
  t.true(Object.keys(net.buffers).length > 0, 'the stack has batch-norm buffers');
  const buffers = Object.fromEntries(Object.entries(net.buffers).map(([k, v]) => [k, Array.from(v.data)]));
  const state = drop.getState();
  const snap = snapshotState(net.layers);
  net.predict(x, true);
  net.predict(x, true);
  t.notDeepEqual(drop.getState(), state, 'a training forward moves the dropout position');
  t.notDeepEqual(Array.from(net.buffers.runningMean1.data), buffers.runningMean1, 'and the running mean');
  snap.all();
  t.deepEqual(drop.getState(), state);
  for (const [k, v] of Object.entries(net.buffers)) t.deepEqual(Array.from(v.data), buffers[k], k);
});
