// The book's visualize_filter: the first layer's filters as a grid of small grey pictures,
// each scaled to its own range (min → black, max → white) so the pattern is visible whatever
// the weights' magnitude.
import type { Tensor } from '../tensor/tensor';
import { writeFileAtomic } from '../io/atomic';
import { Canvas, type Rgb } from './canvas';

export interface FiltersOptions {
  /** Filters per row (the book: 8). */
  cols?: number;
  /** Pixels per weight. */
  scale?: number;
  /** Pixels between filters and around the grid. */
  gap?: number;
  /** Which input channel to show when c > 1 and not drawn as colour (the book: 0). */
  channel?: number;
  /** Filters with exactly 3 channels are drawn in colour unless this is false. */
  rgb?: boolean;
  /** 'gray' (default): the largest weight white; 'gray_r': black, as the book's imshow(cmap=gray_r) draws them. */
  cmap?: 'gray' | 'gray_r';
}

export interface FilterLayout {
  cols: number; rows: number; tileW: number; tileH: number; gap: number; width: number; height: number;
}

const SEPARATOR: Rgb = [70, 70, 110];

/** Grid geometry for f filters of kh×kw: width = cols·kw·scale + (cols+1)·gap, likewise height. */
export function filterGridLayout(f: number, kh: number, kw: number, opts: FiltersOptions = {}): FilterLayout {
  const cols = Math.max(1, Math.min(opts.cols ?? 8, f));
  const scale = opts.scale ?? Math.max(2, Math.floor(48 / Math.max(kh, kw)));
  const gap = opts.gap ?? 2;
  if (!Number.isInteger(cols) || !Number.isInteger(scale) || scale < 1 || !Number.isInteger(gap) || gap < 0) {
    throw new RangeError(`plotFilters: cols and scale must be positive integers and gap a non-negative integer; received cols ${opts.cols}, scale ${opts.scale}, gap ${opts.gap}.`);
  }
  const rows = Math.ceil(f / cols);
  const tileW = kw * scale;
  const tileH = kh * scale;
  return { cols, rows, tileW, tileH, gap, width: cols * tileW + (cols + 1) * gap, height: rows * tileH + (rows + 1) * gap };
}

export function plotFilters(W: Tensor, opts: FiltersOptions = {}): Buffer {
  if (!W || !Array.isArray(W.shape) || W.shape.length !== 4) {
    throw new TypeError(
      `plotFilters: expects the first convolution's weights W shaped (filters, channels, kh, kw), received ${W && Array.isArray(W.shape) ? `shape (${W.shape.join(', ')})` : String(W)}. ` +
        `Fix: pass network.params.W1 of a network whose first layer is a Convolution.`,
    );
  }
  const [f, c, kh, kw] = W.shape;
  const channel = opts.channel ?? 0;
  if (!Number.isInteger(channel) || channel < 0 || channel >= c) {
    throw new RangeError(`plotFilters: channel ${channel} does not exist; W has ${c} channel(s) (0..${c - 1}).`);
  }
  const colour = c === 3 && opts.rgb !== false;
  const cmap = opts.cmap ?? 'gray';
  if (cmap !== 'gray' && cmap !== 'gray_r') throw new TypeError(`plotFilters: cmap must be 'gray' or 'gray_r' (matplotlib's names), received ${JSON.stringify(opts.cmap)}.`);
  const reversed = cmap === 'gray_r';
  const L = filterGridLayout(f, kh, kw, opts);
  const scale = L.tileW / kw;
  const cv = new Canvas(L.width, L.height, SEPARATOR);
  const plane = kh * kw;
  const px = new Uint8Array((colour ? 3 : 1) * plane);
  for (let i = 0; i < f; i++) {
    const base = i * c * plane;
    const start = colour ? base : base + channel * plane;
    const len = colour ? 3 * plane : plane;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < len; k++) {
      const v = W.data[start + k];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo;
    for (let k = 0; k < len; k++) {
      // A constant filter (e.g. never trained) shows as mid grey rather than dividing by zero.
      const v = span > 0 && Number.isFinite(span) ? Math.round(((W.data[start + k] - lo) / span) * 255) : 128;
      px[k] = reversed ? 255 - v : v;
    }
    const x = L.gap + (i % L.cols) * (L.tileW + L.gap);
    const y = L.gap + Math.floor(i / L.cols) * (L.tileH + L.gap);
    cv.blit(px, kw, kh, colour ? 3 : 1, x, y, scale);
  }
  return cv.toPng();
}

export function plotFiltersToFile(file: string, W: Tensor, opts: FiltersOptions = {}): ReturnType<typeof writeFileAtomic> {
  return writeFileAtomic(file, plotFilters(W, opts));
}
