// A figure of one or more panels in a grid, as the book's scripts draw them with
// plt.subplot(rows, cols, i): a line chart, a histogram row, a 4×4 grid of small accuracy plots.
// Laid out once as a Scene (lib/plot/scene.ts), so the PNG and the SVG show the same thing.
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { COLORS, linePanel, type PanelSpec } from './chart';
import type { Picture } from './curves';
import { renderPng, renderSvg, type Scene } from './scene';

/** One panel: everything of a line/histogram panel except where it goes. */
export type FigurePanel = Omit<PanelSpec, 'x' | 'y' | 'w' | 'h'>;

export interface FigureSpec {
  /** Printed above the grid (the book's plt.suptitle); also the SVG's <title>. */
  title?: string;
  panels: FigurePanel[];
  /** Grid columns (default: all panels in one row); rows follow from the panel count. */
  cols?: number;
  /** Size of each panel in pixels (default 640 × 440 for one panel, 300 × 230 in a grid). */
  panelWidth?: number;
  panelHeight?: number;
}

const TITLE_H = 36;

function checkSize(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 80 || v > 4000) {
    throw new RangeError(`plotFigure: ${name} must be an integer number of pixels in [80, 4000], received ${JSON.stringify(v)}.`);
  }
  return v;
}

/** Pixel size of a figure: cols·panelWidth × rows·panelHeight (+ 36 with a title). */
export function figureSize(spec: FigureSpec): { width: number; height: number; rows: number; cols: number } {
  if (!spec || !Array.isArray(spec.panels) || spec.panels.length === 0) {
    throw new TypeError(`plotFigure: spec.panels must be a non-empty array of panels ({ xLabel, yLabel, series }).`);
  }
  const n = spec.panels.length;
  const cols = spec.cols ?? n;
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`plotFigure: cols must be an integer ≥ 1, received ${JSON.stringify(spec.cols)}.`);
  const rows = Math.ceil(n / cols);
  const single = n === 1;
  const pw = checkSize('panelWidth', spec.panelWidth ?? (single ? 640 : 300));
  const ph = checkSize('panelHeight', spec.panelHeight ?? (single ? 440 : 230));
  return { width: Math.min(n, cols) * pw, height: rows * ph + (spec.title ? TITLE_H : 0), rows, cols };
}

export function figureScene(spec: FigureSpec): Scene {
  const { width, height, cols } = figureSize(spec);
  const pw = spec.panelWidth ?? (spec.panels.length === 1 ? 640 : 300);
  const ph = spec.panelHeight ?? (spec.panels.length === 1 ? 440 : 230);
  const top = spec.title ? TITLE_H : 0;
  const items: Scene['items'] = [];
  if (spec.title) {
    items.push({ type: 'text', x: width / 2, y: 10, text: spec.title, color: COLORS.text, scale: 2, align: 'middle', valign: 'top' });
  }
  spec.panels.forEach((p, i) => {
    items.push(...linePanel({ ...p, x: (i % cols) * pw, y: top + Math.floor(i / cols) * ph, w: pw, h: ph }));
  });
  return { width, height, background: [255, 255, 255], items };
}

/** PNG bytes and SVG text of the figure. */
export function plotFigure(spec: FigureSpec): Picture {
  const scene = figureScene(spec);
  return { png: renderPng(scene), svg: renderSvg(scene, spec.title ?? 'figure'), width: scene.width, height: scene.height };
}

/** Writes the figure atomically; the format follows the extension (.png or .svg). */
export function plotFigureToFile(file: string, spec: FigureSpec): ReturnType<typeof writeFileAtomic> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.png' && ext !== '.svg') {
    throw new Error(`plotFigureToFile: cannot tell the format of '${file}'; expected a name ending in .png or .svg.`);
  }
  const scene = figureScene(spec);
  return writeFileAtomic(file, ext === '.png' ? renderPng(scene) : Buffer.from(renderSvg(scene, spec.title ?? 'figure'), 'utf8'));
}

/**
 * The book's smooth_curve (common/util.py): the loss convolved with an 11-point Kaiser window
 * (β = 2), the ends padded by reflection, so the smoothed curve has the input's length.
 */
export function smoothCurve(x: ArrayLike<number>): number[] {
  const n = x.length;
  const L = 11;
  if (n === 0) return [];
  if (n < L) return Array.from(x);
  const w = kaiser(L, 2);
  const sum = w.reduce((a, b) => a + b, 0);
  // s = x[L-1:0:-1] ++ x ++ x[-1:-L:-1] (NumPy's r_), then a 'valid' convolution, minus 5 each side.
  const s: number[] = [];
  for (let i = L - 1; i >= 1; i--) s.push(x[i]);
  for (let i = 0; i < n; i++) s.push(x[i]);
  for (let i = n - 1; i >= n - L + 1; i--) s.push(x[i]);
  const valid: number[] = [];
  for (let i = 0; i + L <= s.length; i++) {
    let acc = 0;
    // The window is symmetric, so convolution and correlation agree.
    for (let k = 0; k < L; k++) acc += s[i + k] * (w[k] / sum);
    valid.push(acc);
  }
  return valid.slice(5, valid.length - 5);
}

/** NumPy's kaiser(M, beta): I0(β·√(1 − (2n/(M−1) − 1)²)) / I0(β). */
export function kaiser(M: number, beta: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < M; n++) {
    const r = (2 * n) / (M - 1) - 1;
    out.push(besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / besselI0(beta));
  }
  return out;
}

/** The modified Bessel function of the first kind, order 0, by its power series (converges fast for small x). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 60; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/** The book's plt.hist(values, bins, range): counts of values in `bins` equal bins over [lo, hi] (hi included in the last). */
export function histogram(values: ArrayLike<number>, bins: number, range: [number, number]): { edges: number[]; counts: number[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be an integer ≥ 1, received ${bins}.`);
  const [lo, hi] = range;
  if (!(hi > lo)) throw new RangeError(`histogram: range must be [lo, hi] with hi > lo, received [${lo}, ${hi}].`);
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  }
  return { edges, counts };
}
