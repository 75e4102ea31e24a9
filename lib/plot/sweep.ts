// The picture of a hyperparameter sweep, after the book's ch. 6 search: validation accuracy
// against each numeric parameter (log axis where the values span decades, as lr and weight
// decay do), and, for two or more, the first two parameters against each other with the best
// trials set apart — where the good region is.
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { COLORS, linePanel, type Series } from './chart';
import { renderPng, renderSvg, type Scene } from './scene';

export interface SweepPoint {
  /** Parameter name → value (numbers are plotted, other values ignored). */
  values: Record<string, string | number>;
  /** Validation accuracy of the trial's kept epoch; null when it failed or has not finished. */
  valAccuracy: number | null;
}

export interface SweepPlotOptions {
  title?: string;
  /** Parameters drawn on a log axis (default: those whose positive values span more than 20×). */
  logParams?: string[];
  /** The range each parameter was drawn from (the axis spans it, as the book's −6 … −2). */
  ranges?: Record<string, [number, number]>;
  /** How many of the best trials are set apart (default: the best fifth, at least 1). */
  best?: number;
  panelWidth?: number;
  height?: number;
}

function numericParams(points: SweepPoint[]): string[] {
  const names = new Set<string>();
  for (const p of points) for (const k of Object.keys(p.values)) names.add(k);
  return [...names].filter((k) => {
    const vs = points.map((p) => p.values[k]);
    return vs.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))) &&
      new Set(vs.map(Number)).size > 1;
  });
}

function isLog(name: string, points: SweepPoint[], opts: SweepPlotOptions): boolean {
  if (opts.logParams) return opts.logParams.includes(name);
  const vs = points.map((p) => Number(p.values[name]));
  return vs.every((v) => v > 0) && Math.max(...vs) / Math.min(...vs) > 20;
}

export function sweepScene(points: SweepPoint[], opts: SweepPlotOptions = {}): Scene {
  const params = numericParams(points);
  const pw = opts.panelWidth ?? 520;
  const height = opts.height ?? 460;
  const panels = Math.max(1, params.length + (params.length >= 2 ? 1 : 0));
  const width = pw * panels;
  const titleH = opts.title ? 36 : 0;
  const items: Scene['items'] = [];
  if (opts.title) items.push({ type: 'text', x: width / 2, y: 10, text: opts.title, color: COLORS.text, scale: 2, align: 'middle', valign: 'top' });
  const done = points.filter((p) => p.valAccuracy !== null);
  const ranked = [...done].sort((a, b) => b.valAccuracy! - a.valAccuracy!);
  const nBest = Math.min(ranked.length, opts.best ?? Math.max(1, Math.round(ranked.length / 5)));
  const best = new Set(ranked.slice(0, nBest));
  const axis = (name: string) => {
    const log = isLog(name, points, opts);
    const f = (p: SweepPoint) => (log ? Math.log10(Number(p.values[name])) : Number(p.values[name]));
    const given = opts.ranges?.[name];
    const range = given ? (log ? given.map(Math.log10) as [number, number] : given) : padded(points.map(f));
    return { log, f, label: log ? `log10(${name})` : name, range: pad(range) };
  };
  const accRange = pad(padded(done.map((p) => p.valAccuracy!)));
  const split = (xf: (p: SweepPoint) => number, yf: (p: SweepPoint) => number, pts: SweepPoint[]): Series[] => {
    const top = pts.filter((p) => best.has(p));
    const rest = pts.filter((p) => !best.has(p));
    return [
      { name: 'others', xs: rest.map(xf), ys: rest.map(yf), color: COLORS.blue, marker: 'circle', scatter: true },
      { name: `best ${nBest}`, xs: top.map(xf), ys: top.map(yf), color: COLORS.red, marker: 'square', scatter: true },
    ];
  };
  if (params.length === 0) {
    items.push({ type: 'text', x: width / 2, y: height / 2, text: 'no numeric parameter to plot', color: COLORS.text, scale: 2, align: 'middle', valign: 'middle' });
  }
  params.forEach((name, i) => {
    const a = axis(name);
    items.push(...linePanel({
      x: i * pw, y: titleH, w: pw, h: height - titleH,
      title: `validation accuracy vs ${name}`, xLabel: a.label, yLabel: 'val acc',
      xRange: a.range, yRange: accRange,
      series: split(a.f, (p) => p.valAccuracy!, done), legend: 'lower right', emptyText: 'no finished trial',
    }));
  });
  if (params.length >= 2) {
    const ax = axis(params[0]);
    const ay = axis(params[1]);
    const failed = points.filter((p) => p.valAccuracy === null);
    const series = split(ax.f, ay.f, done);
    if (failed.length) series.unshift({ name: 'failed/unfinished', xs: failed.map(ax.f), ys: failed.map(ay.f), color: COLORS.gray, marker: 'circle', scatter: true });
    items.push(...linePanel({
      x: params.length * pw, y: titleH, w: pw, h: height - titleH,
      title: `${params[1]} vs ${params[0]}`, xLabel: ax.label, yLabel: ay.label, xRange: ax.range, yRange: ay.range,
      series, legend: 'upper right', emptyText: 'no trial',
    }));
  }
  return { width, height, background: [255, 255, 255], items };
}

/** The data's range, or [0, 1] when there is none. */
function padded(vs: number[]): [number, number] {
  const ok = vs.filter(Number.isFinite);
  return ok.length ? [Math.min(...ok), Math.max(...ok)] : [0, 1];
}

/** 4% more on each side, so no point sits on the frame; a single value gets a unit-wide range. */
function pad([lo, hi]: [number, number]): [number, number] {
  const d = hi > lo ? (hi - lo) * 0.04 : Math.max(Math.abs(lo) * 0.05, 0.01);
  return [lo - d, hi + d];
}

/** Writes the sweep picture atomically (.png or .svg by extension). */
export function plotSweepToFile(file: string, points: SweepPoint[], opts: SweepPlotOptions = {}): void {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.png' && ext !== '.svg') throw new Error(`plotSweepToFile: cannot tell the format of '${file}'; expected a name ending in .png or .svg.`);
  const scene = sweepScene(points, opts);
  writeFileAtomic(file, ext === '.png' ? renderPng(scene) : Buffer.from(renderSvg(scene, opts.title ?? 'sweep'), 'utf8'));
}
