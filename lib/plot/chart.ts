// Line-chart layout: axes, "nice" tick labels, series as polylines, legend. Produces scene
// primitives (lib/plot/scene.ts) so PNG and SVG share one layout.
import type { MarkerShape, Rgb } from './canvas';
import type { Primitive } from './scene';
import { textWidth } from './font';

export const COLORS = {
  axis: [40, 40, 40] as Rgb,
  grid: [225, 225, 225] as Rgb,
  text: [20, 20, 20] as Rgb,
  blue: [31, 119, 180] as Rgb, // matplotlib's first two default colours, as in the book's plots
  orange: [255, 127, 14] as Rgb,
  lightBlue: [160, 196, 224] as Rgb,
  green: [44, 160, 44] as Rgb,
  red: [214, 39, 40] as Rgb,
  purple: [148, 103, 189] as Rgb,
  gray: [150, 150, 150] as Rgb,
};

/** matplotlib's default colour cycle (tab10's first five), the order the book's plots use. */
export const CYCLE: readonly Rgb[] = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.red, COLORS.purple];

export interface Series {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: Rgb;
  width?: number;
  marker?: MarkerShape;
  /** A marker on every n-th point only (matplotlib's markevery); without it, on every point when there are at most 60. */
  markEvery?: number;
  dash?: [number, number];
  /** Left out of the legend (e.g. a raw series drawn under its smoothed version). */
  noLegend?: boolean;
  /** Markers only, every point, no line (a scatter plot). */
  scatter?: boolean;
}

export interface PanelSpec {
  x: number; y: number; w: number; h: number;
  title?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range; otherwise derived from the data and extended to nice tick boundaries. */
  yRange?: [number, number];
  xRange?: [number, number];
  /** Where the legend goes (default lower right); 'none' leaves it out. */
  legend?: 'lower right' | 'upper right' | 'none';
  /** Extend a data-derived y range down to 0 (losses). */
  includeZero?: boolean;
  /** Shown in the middle of the plot area when no series has data. */
  emptyText?: string;
  /** Histogram bars drawn under the series (the book's plt.hist). */
  bars?: Bars[];
  /** false hides the tick labels of that axis (the book's plt.xticks([]) in a grid of small panels). */
  xTickLabels?: boolean;
  yTickLabels?: boolean;
  /** Text scale of the legend (default 2; 1 for small panels). */
  legendScale?: number;
}

/** A histogram: counts[i] samples fell in [edges[i], edges[i + 1]). */
export interface Bars {
  name: string;
  edges: ArrayLike<number>;
  counts: ArrayLike<number>;
  color: Rgb;
}

/** Tick values at a 1/2/5·10^k step covering [lo, hi] with about `target` intervals. */
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  if (!(hi > lo)) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { ticks, step };
}

/** Label text for a tick, with as many decimals as the step needs. */
export function tickLabel(v: number, step: number): string {
  if (Math.abs(v) >= 1e5 || (step >= 1 && Number.isInteger(v))) {
    return Math.abs(v) >= 1e5 ? v.toExponential(1) : String(v);
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** Range of the finite values, or null when there are none. */
export function finiteRange(arrays: ArrayLike<number>[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * Keeps a long series drawable: when it has more points than `buckets`·2, each bucket of
 * consecutive points is replaced by its minimum and maximum (in order), which at that pixel
 * width looks the same as drawing every point and keeps the noise envelope of a loss curve.
 */
export function decimate(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number): { xs: number[]; ys: number[] } {
  const n = Math.min(xs.length, ys.length);
  const ox: number[] = [];
  const oy: number[] = [];
  if (n <= buckets * 2) {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(ys[i])) { ox.push(xs[i]); oy.push(ys[i]); }
    }
    return { xs: ox, ys: oy };
  }
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor((b * n) / buckets);
    const e = Math.floor(((b + 1) * n) / buckets);
    let iMin = -1;
    let iMax = -1;
    for (let i = s; i < e; i++) {
      if (!Number.isFinite(ys[i])) continue;
      if (iMin < 0 || ys[i] < ys[iMin]) iMin = i;
      if (iMax < 0 || ys[i] > ys[iMax]) iMax = i;
    }
    if (iMin < 0) continue;
    const [a, c] = iMin <= iMax ? [iMin, iMax] : [iMax, iMin];
    ox.push(xs[a]); oy.push(ys[a]);
    if (c !== a) { ox.push(xs[c]); oy.push(ys[c]); }
  }
  return { xs: ox, ys: oy };
}

/** Axes, ticks, labels, bars, series and legend of one panel, in pixel coordinates. */
export function linePanel(spec: PanelSpec): Primitive[] {
  const items: Primitive[] = [];
  const showX = spec.xTickLabels !== false;
  const showY = spec.yTickLabels !== false;
  const bars = spec.bars ?? [];
  // Room on the left for the rotated y label (14 px at scale 2) and the tick labels; below for
  // the tick labels and the x label. What is hidden takes no room.
  const left = spec.x + (spec.yLabel ? 26 : 8) + (showY ? 38 : 0);
  const right = spec.x + spec.w - 16;
  const top = spec.y + (spec.title ? 34 : 14);
  const bottom = spec.y + spec.h - (showX ? 18 : 6) - (spec.xLabel ? 28 : 0);
  const pw = right - left;
  const ph = bottom - top;

  const barEdges = bars.map((b) => b.edges);
  const xr = spec.xRange ?? finiteRange([...spec.series.map((s) => s.xs), ...barEdges]) ?? [0, 1];
  const yData = finiteRange([...spec.series.map((s) => s.ys), ...bars.map((b) => b.counts)]);
  let yr: [number, number] = spec.yRange ?? yData ?? [0, 1];
  if (!spec.yRange && (spec.includeZero || bars.length > 0) && yr[0] > 0) yr = [0, yr[1]];
  const yT = niceTicks(yr[0], yr[1], 5);
  if (!spec.yRange) yr = [Math.min(yr[0], yT.ticks[0] ?? yr[0]), Math.max(yr[1], yT.ticks[yT.ticks.length - 1] ?? yr[1])];
  if (!(yr[1] > yr[0])) yr = [yr[0] - 0.5, yr[0] + 0.5];
  let xlo = xr[0];
  let xhi = xr[1];
  if (!(xhi > xlo)) { xlo -= 0.5; xhi += 0.5; }
  const xT = niceTicks(xlo, xhi, 6);
  const sx = (v: number) => left + ((v - xlo) / (xhi - xlo)) * pw;
  const sy = (v: number) => bottom - ((v - yr[0]) / (yr[1] - yr[0])) * ph;

  if (spec.title) {
    items.push({ type: 'text', x: left + pw / 2, y: spec.y + 10, text: spec.title, color: COLORS.text, scale: 2, align: 'middle', valign: 'top' });
  }
  // Grid and ticks first so the series are drawn over them.
  const yTicks = niceTicks(yr[0], yr[1], 5);
  for (const t of yTicks.ticks) {
    if (t < yr[0] - 1e-12 || t > yr[1] + 1e-12) continue;
    const py = sy(t);
    items.push({ type: 'line', x1: left, y1: py, x2: right, y2: py, color: COLORS.grid, width: 1 });
    items.push({ type: 'line', x1: left - 5, y1: py, x2: left, y2: py, color: COLORS.axis, width: 1 });
    if (showY) items.push({ type: 'text', x: left - 8, y: py, text: tickLabel(t, yTicks.step), color: COLORS.text, scale: 1, align: 'end', valign: 'middle' });
  }
  for (const t of xT.ticks) {
    if (t < xlo - 1e-12 || t > xhi + 1e-12) continue;
    const px = sx(t);
    items.push({ type: 'line', x1: px, y1: top, x2: px, y2: bottom, color: COLORS.grid, width: 1 });
    items.push({ type: 'line', x1: px, y1: bottom, x2: px, y2: bottom + 5, color: COLORS.axis, width: 1 });
    if (showX) items.push({ type: 'text', x: px, y: bottom + 9, text: tickLabel(t, xT.step), color: COLORS.text, scale: 1, align: 'middle', valign: 'top' });
  }
  for (const b of bars) {
    const n = Math.min(b.counts.length, b.edges.length - 1);
    for (let i = 0; i < n; i++) {
      const c = b.counts[i];
      // Bars outside the x range are left out and those across its ends cut, as matplotlib's xlim does.
      if (!(c > 0) || b.edges[i + 1] <= xlo || b.edges[i] >= xhi) continue;
      const x0 = sx(Math.max(xlo, b.edges[i]));
      const x1 = sx(Math.min(xhi, b.edges[i + 1]));
      const y0 = Math.max(top, sy(Math.min(c, yr[1])));
      // One pixel of white between neighbouring bars, as matplotlib's default edge gives.
      items.push({ type: 'rect', x: x0, y: y0, w: Math.max(1, x1 - x0 - 1), h: bottom - y0, fill: b.color });
    }
  }
  items.push({ type: 'rect', x: left, y: top, w: pw + 1, h: ph + 1, stroke: COLORS.axis });
  if (spec.xLabel) items.push({ type: 'text', x: left + pw / 2, y: spec.y + spec.h - 8, text: spec.xLabel, color: COLORS.text, scale: 2, align: 'middle', valign: 'bottom' });
  if (spec.yLabel) items.push({ type: 'text', x: spec.x + 8, y: top + ph / 2, text: spec.yLabel, color: COLORS.text, scale: 2, align: 'middle', valign: 'top', rotate: -90 });

  let any = bars.length > 0;
  const clampY = (v: number) => Math.max(top, Math.min(bottom, sy(v)));
  for (const s of spec.series) {
    const d = decimate(s.xs, s.ys, Math.max(1, Math.floor(pw)));
    if (d.xs.length === 0) continue;
    any = true;
    const pts: number[] = [];
    for (let i = 0; i < d.xs.length; i++) pts.push(sx(d.xs[i]), clampY(d.ys[i]));
    if (!s.scatter) items.push({ type: 'polyline', points: pts, color: s.color, width: s.width ?? 2, name: s.name, dash: s.dash });
    if (!s.marker) continue;
    if (s.markEvery !== undefined) {
      // Markers at the original points 0, k, 2k … (the decimated polyline has lost the indices).
      const n = Math.min(s.xs.length, s.ys.length);
      for (let i = 0; i < n; i += Math.max(1, Math.floor(s.markEvery))) {
        if (Number.isFinite(s.ys[i])) items.push({ type: 'marker', x: sx(s.xs[i]), y: clampY(s.ys[i]), shape: s.marker, size: 7, color: s.color });
      }
    } else if (s.scatter || d.xs.length <= 60) {
      for (let i = 0; i < pts.length; i += 2) items.push({ type: 'marker', x: pts[i], y: pts[i + 1], shape: s.marker, size: 7, color: s.color });
    }
  }
  if (!any && spec.emptyText) {
    items.push({ type: 'text', x: left + pw / 2, y: top + ph / 2, text: spec.emptyText, color: COLORS.text, scale: 2, align: 'middle', valign: 'middle' });
  }

  const shown = spec.series.filter((s) => !s.noLegend);
  if (shown.length > 0 && spec.legend !== 'none') {
    const ls = spec.legendScale ?? 2;
    const rowH = 9 * ls;
    const lw = Math.max(...shown.map((s) => textWidth(s.name, ls))) + 46;
    const lh = shown.length * rowH + 8;
    const lx = right - lw - 8;
    const ly = spec.legend === 'upper right' ? top + 8 : bottom - lh - 8;
    items.push({ type: 'rect', x: lx, y: ly, w: lw, h: lh, fill: [255, 255, 255], stroke: [200, 200, 200] });
    shown.forEach((s, i) => {
      const cy = ly + 4 + rowH * i + rowH / 2;
      if (!s.scatter) items.push({ type: 'line', x1: lx + 6, y1: cy, x2: lx + 30, y2: cy, color: s.color, width: s.width ?? 2, dash: s.dash });
      if (s.marker) items.push({ type: 'marker', x: lx + 18, y: cy, shape: s.marker, size: 7, color: s.color });
      items.push({ type: 'text', x: lx + 38, y: cy, text: s.name, color: COLORS.text, scale: ls, align: 'start', valign: 'middle' });
    });
  }
  return items;
}
