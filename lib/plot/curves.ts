// The book's train_convnet plot: train and test accuracy per epoch (markers 'o' and 's', legend
// lower right), plus a second panel with the training loss per iteration, and a third with the
// learning rate per iteration when a schedule changed it. With a validation split the accuracy
// panel shows validation instead of test, and marks the kept epoch.
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { COLORS, linePanel } from './chart';
import { renderPng, renderSvg, type Scene } from './scene';
import { percent } from '../format';

/** The parts of a Trainer history the curves use. */
export interface CurvesHistory {
  trainLossList: ArrayLike<number>;
  trainAccList: ArrayLike<number>;
  testAccList: ArrayLike<number>;
  testAccuracy?: number | null;
  trainAccuracy?: number | null;
  /** The Trainer's description of trainAccList; a running accuracy is labelled as such in the legend. */
  trainAccMeasure?: string;
  /** Learning rate per step; drawn in a third panel when it is not constant. */
  lrList?: ArrayLike<number>;
  /** Validation accuracy per epoch (a run with a validation split), and the epoch whose parameters were kept. */
  valAccList?: ArrayLike<number>;
  bestEpoch?: number | null;
}

export interface CurvesOptions {
  title?: string;
  /** 'auto' (default) zooms in on the data; 'full' is the book's 0–1; or an explicit [lo, hi]. */
  yRange?: 'auto' | 'full' | [number, number];
  /** Epoch number of the first accuracy entry (default 1: entry i was measured after epoch i + 1). */
  firstEpoch?: number;
  /** When given, the loss panel's x axis is in epochs instead of iterations. */
  itersPerEpoch?: number;
  width?: number;
  height?: number;
}

export interface Picture {
  png: Buffer;
  svg: string;
  width: number;
  height: number;
}

function accuracyRange(h: CurvesHistory, mode: CurvesOptions['yRange']): [number, number] {
  if (Array.isArray(mode)) {
    if (!(mode[1] > mode[0])) throw new RangeError(`plotTrainingCurves: yRange must be [lo, hi] with hi > lo, received [${mode.join(', ')}].`);
    return mode;
  }
  if (mode === 'full') return [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of [h.trainAccList, h.testAccList, h.valAccList ?? []]) {
    for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) { lo = Math.min(lo, a[i]); hi = Math.max(hi, a[i]); }
  }
  if (!(lo <= hi)) return [0, 1];
  // Zoom to 0.05-wide steps around the data, so 0.97 vs 0.99 is visible, never past [0, 1].
  const margin = Math.max(0.005, (hi - lo) * 0.1);
  return [Math.max(0, Math.floor((lo - margin) * 20) / 20), Math.min(1, Math.ceil((hi + margin) * 20) / 20)];
}

function checkList(name: string, v: unknown): ArrayLike<number> {
  if (v == null || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`plotTrainingCurves: history.${name} must be an array of numbers (the Trainer's history), received ${v === undefined ? 'undefined' : JSON.stringify(v)}.`);
  }
  return v as ArrayLike<number>;
}

export function trainingCurvesScene(history: CurvesHistory, opts: CurvesOptions = {}): Scene {
  const trainAcc = checkList('trainAccList', history?.trainAccList);
  const testAcc = checkList('testAccList', history?.testAccList);
  const loss = checkList('trainLossList', history?.trainLossList);
  const lr = history.lrList;
  let lrVaries = false;
  if (lr) for (let i = 1; i < lr.length && !lrVaries; i++) lrVaries = lr[i] !== lr[0];
  const panels = lrVaries ? 3 : 2;
  const width = opts.width ?? (lrVaries ? 1500 : 1100);
  const pw = Math.floor(width / panels);
  const height = opts.height ?? 460;
  const first = opts.firstEpoch ?? 1;
  const titleH = opts.title ? 36 : 0;
  const items: Scene['items'] = [];
  if (opts.title) {
    items.push({ type: 'text', x: width / 2, y: 10, text: opts.title, color: COLORS.text, scale: 2, align: 'middle', valign: 'top' });
  }
  const epochsOf = (a: ArrayLike<number>) => Array.from({ length: a.length }, (_, i) => first + i);
  const valAcc = history.valAccList && history.valAccList.length > 0 ? history.valAccList : null;
  const best = history.bestEpoch ?? null;
  const accTitle = history.testAccuracy != null
    ? `accuracy (final test ${percent(history.testAccuracy)}${valAcc && best ? `, epoch ${best}'s parameters` : ''})`
    : 'accuracy';
  const accSeries: Parameters<typeof linePanel>[0]['series'] = [
    { name: history.trainAccMeasure?.startsWith('running') ? 'train (running)' : 'train', xs: epochsOf(trainAcc), ys: trainAcc, color: COLORS.blue, marker: 'circle' },
  ];
  if (valAcc) {
    accSeries.push({ name: 'validation', xs: epochsOf(valAcc), ys: valAcc, color: COLORS.orange, marker: 'square', dash: [6, 3] });
    if (best !== null && best >= first && best - first < valAcc.length) {
      accSeries.push({ name: `kept (epoch ${best})`, xs: [best], ys: [valAcc[best - first]], color: COLORS.red, marker: 'circle', scatter: true });
    }
  } else {
    accSeries.push({ name: 'test', xs: epochsOf(testAcc), ys: testAcc, color: COLORS.orange, marker: 'square', dash: [6, 3] });
  }
  items.push(...linePanel({
    x: 0, y: titleH, w: pw, h: height - titleH,
    title: accTitle, xLabel: 'epochs', yLabel: 'accuracy',
    yRange: accuracyRange(history, opts.yRange),
    series: accSeries,
    legend: 'lower right',
    emptyText: 'no epochs recorded',
  }));

  const per = opts.itersPerEpoch;
  const lossX = Array.from({ length: loss.length }, (_, i) => (per ? (i + 1) / per : i + 1));
  // A centred moving average shows the trend that the per-batch noise hides (centred, so it
  // does not lag behind the raw curve).
  const win = Math.max(1, Math.round(loss.length / 50));
  const half = Math.floor(win / 2);
  const smooth = new Float64Array(loss.length);
  const prefix = new Float64Array(loss.length + 1);
  const counts = new Float64Array(loss.length + 1);
  for (let i = 0; i < loss.length; i++) {
    const ok = Number.isFinite(loss[i]);
    prefix[i + 1] = prefix[i] + (ok ? loss[i] : 0);
    counts[i + 1] = counts[i] + (ok ? 1 : 0);
  }
  for (let i = 0; i < loss.length; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(loss.length, i + half + 1);
    const c = counts[b] - counts[a];
    smooth[i] = c > 0 ? (prefix[b] - prefix[a]) / c : NaN;
  }
  const lossSeries = [{ name: 'train loss', xs: lossX, ys: loss, color: COLORS.lightBlue, width: 1, noLegend: win > 1 }];
  if (win > 1) lossSeries.push({ name: `train loss (mean of ${win})`, xs: lossX, ys: smooth, color: COLORS.blue, width: 2, noLegend: false });
  items.push(...linePanel({
    x: pw, y: titleH, w: lrVaries ? pw : width - pw, h: height - titleH,
    title: 'loss', xLabel: per ? 'epochs' : 'iterations', yLabel: 'loss',
    includeZero: true,
    series: lossSeries,
    legend: 'upper right',
    emptyText: 'no iterations recorded',
  }));
  if (lrVaries) {
    items.push(...linePanel({
      x: 2 * pw, y: titleH, w: width - 2 * pw, h: height - titleH,
      title: 'learning rate', xLabel: per ? 'epochs' : 'iterations', yLabel: 'lr',
      includeZero: true,
      series: [{ name: 'lr', xs: lossX.length === lr!.length ? lossX : Array.from({ length: lr!.length }, (_, i) => (per ? (i + 1) / per : i + 1)), ys: lr!, color: COLORS.blue, width: 2, noLegend: true }],
      emptyText: 'no iterations recorded',
    }));
  }
  return { width, height, background: [255, 255, 255], items };
}

/** PNG bytes and SVG text of the accuracy and loss curves. */
export function plotTrainingCurves(history: CurvesHistory, opts: CurvesOptions = {}): Picture {
  const scene = trainingCurvesScene(history, opts);
  return { png: renderPng(scene), svg: renderSvg(scene, opts.title ?? 'training curves'), width: scene.width, height: scene.height };
}

/** Writes the curves atomically; the format follows the extension (.png or .svg). */
export function plotTrainingCurvesToFile(file: string, history: CurvesHistory, opts: CurvesOptions = {}): ReturnType<typeof writeFileAtomic> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.png' && ext !== '.svg') {
    throw new Error(`plotTrainingCurvesToFile: cannot tell the format of '${file}'; expected a name ending in .png or .svg.`);
  }
  const scene = trainingCurvesScene(history, opts);
  const bytes = ext === '.png' ? renderPng(scene) : Buffer.from(renderSvg(scene, opts.title ?? 'training curves'), 'utf8');
  return writeFileAtomic(file, bytes);
}
