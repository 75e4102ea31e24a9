// bench-floor's ratios, each from two measurements taken side by side. On a shared machine the
// speed available to a process drifts by ±30% within minutes: an epoch timed at one moment and
// the FMA peak (or PyTorch's epoch) at another put that drift into the ratio. So every scratchnet
// epoch is judged against the FMA peak measured just before and just after it, and against the
// PyTorch epoch run right after it; the reported figure is the median of those per-epoch ratios.
import { median } from '../bench-util';

/** One scratchnet training epoch and what was measured beside it. */
export interface EpochPair {
  /** scratchnet's training time for the epoch (its steps only). */
  seconds: number;
  /** The full test set's evaluation at the end of the epoch, forward only. */
  evalSeconds: number;
  /** FMA peaks (GFLOP/s) measured just before and just after the epoch; null without a peak. */
  peakBefore: number | null;
  peakAfter: number | null;
  /** PyTorch's epoch run right after this one (seconds for its torchImages); null when none was run. */
  torchSeconds: number | null;
}

export interface PairedRatios {
  /** Per epoch: its seconds ÷ (its dense GFLOP ÷ the mean of the peaks around it). */
  timesFloor: number[];
  /** Per epoch paired with a PyTorch epoch: PyTorch's seconds per image ÷ scratchnet's. */
  fasterThanTorch: number[];
  /** Per epoch: evaluation seconds ÷ training seconds. */
  evalShare: number[];
  /** Per epoch: inference img/s (the evaluation's) ÷ training img/s. */
  inferenceOverTraining: number[];
}

export function pairedRatios(pairs: readonly EpochPair[], w: {
  epochGflop: number; imagesPerEpoch: number; torchImagesPerEpoch: number; testImages: number;
}): PairedRatios {
  const out: PairedRatios = { timesFloor: [], fasterThanTorch: [], evalShare: [], inferenceOverTraining: [] };
  for (const p of pairs) {
    const peaks = [p.peakBefore, p.peakAfter].filter((x): x is number => x !== null && x > 0);
    if (peaks.length > 0) out.timesFloor.push(p.seconds / (w.epochGflop / (peaks.reduce((a, b) => a + b, 0) / peaks.length)));
    if (p.torchSeconds !== null) out.fasterThanTorch.push((p.torchSeconds / w.torchImagesPerEpoch) / (p.seconds / w.imagesPerEpoch));
    out.evalShare.push(p.evalSeconds / p.seconds);
    out.inferenceOverTraining.push((w.testImages / p.evalSeconds) / (w.imagesPerEpoch / p.seconds));
  }
  return out;
}

/** The median of a ratio list, null when it is empty. */
export function medianOrNull(a: readonly number[]): number | null {
  return a.length === 0 ? null : median(a);
}
