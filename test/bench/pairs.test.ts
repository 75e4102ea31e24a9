// bench-floor judges each epoch against what was measured beside it, so a machine that slows down
// between epochs moves both sides of a ratio alike.
import test from 'ava';
import { medianOrNull, pairedRatios, type EpochPair } from '../../scripts/bench-floor/pairs';

const work = { epochGflop: 100, imagesPerEpoch: 60000, torchImagesPerEpoch: 60000, testImages: 10000 };

test('each epoch is set against the mean of the peaks measured around it and the PyTorch epoch after it', (t) => {
  const pairs: EpochPair[] = [{ seconds: 2, evalSeconds: 0.1, peakBefore: 100, peakAfter: 300, torchSeconds: 10 }];
  const r = pairedRatios(pairs, work);
  t.deepEqual(r.timesFloor, [2 / (100 / 200)]);
  t.deepEqual(r.fasterThanTorch, [5]);
  t.deepEqual(r.evalShare, [0.05]);
  t.deepEqual(r.inferenceOverTraining, [(10000 / 0.1) / (60000 / 2)]);
});

test('a machine that runs at half speed during one epoch gives that epoch the same ratios', (t) => {
  const quiet: EpochPair = { seconds: 2, evalSeconds: 0.1, peakBefore: 200, peakAfter: 200, torchSeconds: 9 };
  const busy: EpochPair = { seconds: 4, evalSeconds: 0.2, peakBefore: 100, peakAfter: 100, torchSeconds: 18 };
  const r = pairedRatios([quiet, busy], work);
  t.is(r.timesFloor[0], r.timesFloor[1]);
  t.is(r.fasterThanTorch[0], r.fasterThanTorch[1]);
  t.is(r.inferenceOverTraining[0], r.inferenceOverTraining[1]);
  // 9 s ÷ 2 s; the quiet epoch against the busy PyTorch run would read 18 ÷ 2, twice as fast.
  t.true(Math.abs(r.fasterThanTorch[0] - 4.5) < 1e-12);
});

test('PyTorch runs with fewer images per epoch are compared per image; missing measurements are skipped', (t) => {
  const r = pairedRatios([
    { seconds: 2, evalSeconds: 0.1, peakBefore: null, peakAfter: null, torchSeconds: 5 },
    { seconds: 2, evalSeconds: 0.1, peakBefore: null, peakAfter: 200, torchSeconds: null },
  ], { ...work, torchImagesPerEpoch: 30000 });
  t.deepEqual(r.fasterThanTorch, [5]);
  t.deepEqual(r.timesFloor, [2 / (100 / 200)]);
  t.is(medianOrNull([]), null);
  t.is(medianOrNull(r.evalShare), 0.05);
});
