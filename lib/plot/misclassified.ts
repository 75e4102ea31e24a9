// The book's misclassified_mnist: test images the network got wrong, each captioned with its
// true label and the prediction ("t:7 p:2").
import { writeFileAtomic } from '../io/atomic';
import { Canvas, type Rgb } from './canvas';
import { GLYPH_HEIGHT, textWidth } from './font';

/** What the plot needs from an ImageSet (lib/data): count, per-sample shape and raw pixels. */
export interface ImageSource {
  count: number;
  sampleShape: number[];
  /** Pixels of sample i as bytes 0..255, channel-major (c·h·w). */
  sampleBytes(i: number): Uint8Array;
}

export interface MisclassifiedOptions {
  /** At most this many images (the book: 20). */
  max?: number;
  cols?: number;
  /** Pixels per image pixel. */
  scale?: number;
  title?: string;
}

type LabelSource = ArrayLike<number> | { labels: ArrayLike<number> };

function labelArray(labels: LabelSource): ArrayLike<number> {
  return 'labels' in (labels as object) && !(labels as ArrayLike<number>).length ? (labels as { labels: ArrayLike<number> }).labels : (labels as ArrayLike<number>);
}

/** Height, width and channels of one sample: [c,h,w], [h,w], or a flat square [h·w]. */
export function imageGeometry(sampleShape: readonly number[]): { c: 1 | 3; h: number; w: number } {
  let c = 1;
  let h: number;
  let w: number;
  if (sampleShape.length === 3) [c, h, w] = sampleShape;
  else if (sampleShape.length === 2) [h, w] = sampleShape;
  else if (sampleShape.length === 1 && Number.isInteger(Math.sqrt(sampleShape[0]))) h = w = Math.sqrt(sampleShape[0]);
  else {
    throw new TypeError(
      `plotMisclassified: cannot draw samples shaped (${sampleShape.join(', ')}) as images; expected (channels, height, width) or a flat square like (784). ` +
        `Fix: images.reshape([1, 28, 28]).`,
    );
  }
  if (c !== 1 && c !== 3) throw new TypeError(`plotMisclassified: images must have 1 or 3 channels, these have ${c}.`);
  return { c: c as 1 | 3, h, w };
}

/** Indices i where predictions[i] differs from the label. */
export function misclassifiedIndices(labels: LabelSource, predictions: ArrayLike<number>): number[] {
  const t = labelArray(labels);
  if (t.length !== predictions.length) {
    throw new RangeError(`plotMisclassified: ${predictions.length} predictions for ${t.length} labels; they must be the same test set.`);
  }
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) if (t[i] !== predictions[i]) out.push(i);
  return out;
}

const BG: Rgb = [255, 255, 255];
const TEXT: Rgb = [20, 20, 20];
const WRONG: Rgb = [200, 30, 30];

export function plotMisclassified(images: ImageSource, labels: LabelSource, predictions: ArrayLike<number>, opts: MisclassifiedOptions = {}): Buffer {
  if (!images || typeof images.sampleBytes !== 'function' || !Array.isArray(images.sampleShape)) {
    throw new TypeError(`plotMisclassified: images must be an ImageSet (lib/data) with sampleShape and sampleBytes(i).`);
  }
  const t = labelArray(labels);
  if (t.length !== images.count) {
    throw new RangeError(`plotMisclassified: ${images.count} images but ${t.length} labels; pass the labels of the same set.`);
  }
  const wrong = misclassifiedIndices(t, predictions);
  const max = opts.max ?? 20;
  const shown = wrong.slice(0, max);
  const { c, h, w } = imageGeometry(images.sampleShape);
  const scale = opts.scale ?? Math.max(1, Math.round(56 / Math.max(h, w)));
  const cols = Math.max(1, Math.min(opts.cols ?? 5, Math.max(1, shown.length)));
  const rows = Math.max(1, Math.ceil(shown.length / cols));
  let maxCaption = 0;
  for (const i of shown) maxCaption = Math.max(maxCaption, textWidth(`t:${t[i]} p:${predictions[i]}`, 1));
  const cellW = Math.max(w * scale, maxCaption) + 12;
  const cellH = h * scale + GLYPH_HEIGHT + 14;
  const title = opts.title ?? `misclassified: ${wrong.length} of ${t.length}${wrong.length > shown.length ? ` (first ${shown.length} shown)` : ''}`;
  const titleH = 24;
  const width = Math.max(cols * cellW + 8, textWidth(title, 1) + 16);
  const height = titleH + rows * cellH + 4;
  const cv = new Canvas(width, height, BG);
  cv.text(title, width / 2, 8, TEXT, { align: 'middle' });
  if (shown.length === 0) {
    cv.text('none', width / 2, titleH + cellH / 2, TEXT, { align: 'middle', valign: 'middle', scale: 2 });
  }
  shown.forEach((idx, k) => {
    const cx = 4 + (k % cols) * cellW;
    const cy = titleH + Math.floor(k / cols) * cellH;
    const bytes = images.sampleBytes(idx);
    if (bytes.length !== c * h * w) {
      throw new RangeError(`plotMisclassified: sample ${idx} has ${bytes.length} bytes, expected ${c}×${h}×${w} = ${c * h * w}.`);
    }
    // MNIST strokes are bright on black; drawn as ink on paper like the book's gray_r plot.
    const inv = new Uint8Array(bytes.length);
    for (let j = 0; j < bytes.length; j++) inv[j] = 255 - bytes[j];
    const ix = cx + Math.floor((cellW - w * scale) / 2);
    cv.blit(inv, w, h, c, ix, cy + 2, scale);
    cv.strokeRect(ix - 1, cy + 1, w * scale + 2, h * scale + 2, [180, 180, 180]);
    cv.text(`t:${t[idx]} p:${predictions[idx]}`, cx + cellW / 2, cy + h * scale + 6, WRONG, { align: 'middle' });
  });
  return cv.toPng();
}

export function plotMisclassifiedToFile(file: string, images: ImageSource, labels: LabelSource, predictions: ArrayLike<number>, opts: MisclassifiedOptions = {}): ReturnType<typeof writeFileAtomic> {
  return writeFileAtomic(file, plotMisclassified(images, labels, predictions, opts));
}
