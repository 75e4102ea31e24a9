// Figures of several panels (the book's plt.subplot grids), histograms, the book's smooth_curve
// and the markers its plots use: sizes as promised, values as NumPy computes them.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import {
  plotFigure, plotFigureToFile, figureSize, smoothCurve, kaiser, histogram, Canvas, COLORS, plotFilters, type FigurePanel,
} from '../../lib/plot/index';
import { Tensor } from '../../lib/tensor/tensor';
import { tempDir } from '../helpers/tmpdir';

const close = (t: import('ava').ExecutionContext, a: number[], b: number[], tol: number, what: string) => {
  t.is(a.length, b.length, `${what}: length`);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  t.true(worst < tol, `${what}: max difference ${worst}`);
};

test('kaiser and smoothCurve equal NumPy\'s np.kaiser(11, 2) and the book\'s smooth_curve', (t) => {
  // python3: np.kaiser(11, 2).tolist()
  close(t, kaiser(11, 2), [0.4386762798370488, 0.6113943543616491, 0.7676749968275236, 0.8921614338542881, 0.9723298008693713, 1.0,
    0.9723298008693713, 0.8921614338542881, 0.7676749968275236, 0.6113943543616491, 0.4386762798370488], 1e-14, 'kaiser');
  // The book's common/util.py smooth_curve on x[i] = ((7i) mod 13)/5 + 0.1i, i < 30, run in NumPy.
  const x = Array.from({ length: 30 }, (_, i) => ((i * 7) % 13) / 5 + 0.1 * i);
  close(t, smoothCurve(x), [1.141019231840416, 1.1104942089372671, 1.2353386051414177, 1.2939759752147533, 1.4981959058021868,
    1.6227821637772557, 1.8772178362227443, 2.0227821637772556, 2.1408603839563694, 2.2327372939662693, 2.3022374824060905,
    2.35541922202521, 2.4, 2.44458077797479, 2.4977625175939093, 2.5672627060337305, 2.6591396160436305, 2.777217836222744,
    2.922782163777255, 3.177217836222745, 3.322782163777256, 3.4408603839563696, 3.5327372939662696, 3.6022374824060903,
    3.65541922202521, 3.757689691343466, 3.7253385462386253, 3.7755729694186577, 3.690537592962084, 3.6883103428901385], 1e-12, 'smooth_curve');
  t.deepEqual(smoothCurve([3, 1]), [3, 1], 'shorter than the window: unchanged');
});

test('histogram counts as np.histogram(values, bins, range) does, the upper edge included', (t) => {
  const h = histogram([0, 0.05, 0.5, 0.99, 1.0, 1.5, -0.1], 3, [0, 1]);
  t.deepEqual(h.counts, [2, 1, 2]);
  close(t, h.edges, [0, 1 / 3, 2 / 3, 1], 1e-15, 'edges');
  t.throws(() => histogram([1], 0, [0, 1]), { message: /bins must be an integer ≥ 1/ });
  t.throws(() => histogram([1], 3, [1, 1]), { message: /hi > lo/ });
});

const panel = (i: number): FigurePanel => ({
  title: `panel ${i}`, xLabel: 'epochs', yLabel: 'accuracy', yRange: [0, 1],
  series: [{ name: `s${i}`, xs: [0, 1, 2], ys: [0.1, 0.5, 0.9], color: COLORS.blue }],
});

test('a grid figure: cols × panelWidth by rows × panelHeight (+ the title), one curve per panel in the SVG', (t) => {
  const spec = { title: 'grid', cols: 4, panelWidth: 300, panelHeight: 220, panels: Array.from({ length: 16 }, (_, i) => panel(i)) };
  t.deepEqual(figureSize(spec), { width: 1200, height: 916, rows: 4, cols: 4 });
  const pic = plotFigure(spec);
  const png = PNG.sync.read(pic.png);
  t.is(png.width, 1200);
  t.is(png.height, 916);
  for (let i = 0; i < 16; i++) t.true(pic.svg.includes(`<polyline class="s${i}"`));
  // A last row with fewer panels keeps the grid's width; one row of 3 is 3 panels wide.
  t.deepEqual(figureSize({ cols: 5, panels: [panel(0), panel(1), panel(2)] }), { width: 900, height: 230, rows: 1, cols: 5 });
  t.deepEqual(figureSize({ panels: [panel(0)] }), { width: 640, height: 440, rows: 1, cols: 1 });
  t.throws(() => plotFigure({ panels: [] }), { message: /non-empty array of panels/ });
  t.throws(() => plotFigure({ panels: [panel(0)], panelWidth: 20 }), { message: /panelWidth must be an integer number of pixels in \[80, 4000\], received 20/ });
});

test('hidden tick labels (the book\'s plt.xticks([])) leave the ticks and drop their numbers', (t) => {
  const shown = plotFigure({ panels: [panel(0)] }).svg;
  const hidden = plotFigure({ panels: [{ ...panel(0), xTickLabels: false, yTickLabels: false }] }).svg;
  t.true(shown.includes('>0.5<') && shown.includes('>1.5<'));
  t.false(hidden.includes('>0.5<') || hidden.includes('>1.5<'));
  t.true(hidden.includes('>accuracy<'), 'axis labels stay');
});

test('markers every n points (markevery), in the book\'s shapes; histogram bars under the curves', (t) => {
  const xs = Array.from({ length: 500 }, (_, i) => i);
  const spec = {
    panels: [{
      xLabel: 'iterations', yLabel: 'loss',
      series: [
        { name: 'Adam', xs, ys: xs.map((i) => 1 / (1 + i)), color: COLORS.red, marker: 'diamond' as const, markEvery: 100 },
        { name: 'Momentum', xs, ys: xs.map((i) => 2 / (1 + i)), color: COLORS.orange, marker: 'cross' as const, markEvery: 100 },
        { name: 'RMSprop', xs, ys: xs.map((i) => 3 / (1 + i)), color: COLORS.green, marker: 'triangle' as const, markEvery: 250 },
      ],
      bars: [{ name: 'h', edges: [0, 100, 200], counts: [1, 2], color: COLORS.purple }],
    }],
  };
  const { svg } = plotFigure(spec);
  // 5 on the curve + 1 in the legend for each of Adam (diamond polygon) and RMSprop (triangle polygon: 2 + 1).
  t.is((svg.match(/<polygon/g) ?? []).length, 6 + 3);
  t.is((svg.match(/<path d="M/g) ?? []).length, 6, 'Momentum\'s crosses');
  t.is((svg.match(/fill="rgb\(148,103,189\)"/g) ?? []).length, 2, 'two histogram bars');
  const cv = new Canvas(21, 21);
  cv.marker(10, 10, 'diamond', 10, [0, 0, 0]);
  const at = (x: number, y: number) => cv.data[(y * 21 + x) * 4];
  t.is(at(10, 10), 0);
  t.is(at(10, 6), 0, 'diamond: top point inked');
  t.is(at(6, 6), 255, 'diamond: the corner of its box is not');
});

test('plotFigureToFile writes PNG or SVG by extension, atomically', (t) => {
  const d = tempDir(t, 'scratchnet-figure-');
  plotFigureToFile(path.join(d, 'a.png'), { panels: [panel(0)] });
  plotFigureToFile(path.join(d, 'a.svg'), { panels: [panel(0)] });
  t.is(PNG.sync.read(fs.readFileSync(path.join(d, 'a.png'))).width, 640);
  t.regex(fs.readFileSync(path.join(d, 'a.svg'), 'utf8'), /^<\?xml/);
  t.throws(() => plotFigureToFile(path.join(d, 'a.jpg'), { panels: [panel(0)] }), { message: /expected a name ending in \.png or \.svg/ });
  t.deepEqual(fs.readdirSync(d).sort(), ['a.png', 'a.svg']);
});

test('bars outside the x range are left out (the book\'s xlim)', (t) => {
  const bars = [{ name: 'h', edges: [0, 0.1, 0.5, 1], counts: [100, 2, 3], color: COLORS.purple }];
  const { svg } = plotFigure({ panels: [{ xLabel: 'x', yLabel: 'n', series: [], bars, xRange: [0.1, 1], yRange: [0, 5] }] });
  t.is((svg.match(/fill="rgb\(148,103,189\)"/g) ?? []).length, 2);
});

test('filters in the book\'s gray_r: the largest weight black', (t) => {
  const W = Tensor.from([0, 1, 2, 3], [1, 1, 2, 2]);
  const px = (buf: Buffer, x: number, y: number) => { const p = PNG.sync.read(buf); return p.data[(y * p.width + x) * 4]; };
  // scale 24, gap 2: weight (1, 1) = 3 is the tile's bottom-right quarter.
  t.is(px(plotFilters(W), 2 + 36, 2 + 36), 255);
  t.is(px(plotFilters(W, { cmap: 'gray_r' }), 2 + 36, 2 + 36), 0);
  t.is(px(plotFilters(W, { cmap: 'gray_r' }), 2 + 4, 2 + 4), 255);
  t.throws(() => plotFilters(W, { cmap: 'viridis' as never }), { message: /cmap must be 'gray' or 'gray_r'/ });
});
