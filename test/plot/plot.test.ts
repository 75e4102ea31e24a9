// Pictures: the PNGs decode to the sizes the layout promises, the SVG carries the curves and
// labels a reader expects, and the grids hold the right number of cells.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { Tensor } from '../../lib/tensor/tensor';
import {
  plotTrainingCurves, plotTrainingCurvesToFile, plotFilters, plotFiltersToFile, filterGridLayout,
  plotMisclassified, plotMisclassifiedToFile, misclassifiedIndices, niceTicks, tickLabel, Canvas,
} from '../../lib/plot/index';
import { glyph, hasGlyph, textWidth } from '../../lib/plot/font';
import { tempDir } from '../helpers/tmpdir';

function decode(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}

function pixel(png: PNG, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return [png.data[o], png.data[o + 1], png.data[o + 2], png.data[o + 3]];
}

const history = {
  trainLossList: Array.from({ length: 300 }, (_, i) => 2.3 * Math.exp(-i / 40) + 0.05),
  trainAccList: [0.81, 0.9, 0.93, 0.95, 0.96],
  testAccList: [0.8, 0.88, 0.91, 0.93, 0.94],
  testAccuracy: 0.9412,
  trainAccuracy: 0.962,
};

test('training curves: PNG decodes to the requested size and is not blank', (t) => {
  const pic = plotTrainingCurves(history, { title: 'SimpleConvNet', width: 900, height: 400 });
  const png = decode(pic.png);
  t.is(png.width, 900);
  t.is(png.height, 400);
  t.is(pic.width, 900);
  // The curves use matplotlib's blue and orange: some pixels of each must be there.
  let blue = 0;
  let orange = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (r === 31 && g === 119 && b === 180) blue++;
    if (r === 255 && g === 127 && b === 14) orange++;
  }
  t.true(blue > 100, `blue pixels: ${blue}`);
  t.true(orange > 100, `orange pixels: ${orange}`);
});

test('training curves: SVG has width/height, one polyline per series, axis labels and legend', (t) => {
  const { svg } = plotTrainingCurves(history, { title: 'SimpleConvNet', width: 1000, height: 450 });
  const open = svg.match(/<svg\b[^>]*>/);
  t.truthy(open);
  t.regex(open![0], /width="1000"/);
  t.regex(open![0], /height="450"/);
  t.true(svg.trimEnd().endsWith('</svg>'));
  // Every opened element is closed or self-closing (a rough well-formedness check).
  const opens = (svg.match(/<(?![/?])[a-z]+\b(?:[^>]*[^/>])?>/g) ?? []).length;
  const closes = (svg.match(/<\/[a-z]+>/g) ?? []).length;
  t.is(opens, closes);
  const train = svg.match(/<polyline class="train" points="([^"]*)"/);
  const test_ = svg.match(/<polyline class="test" points="([^"]*)"/);
  t.truthy(train);
  t.truthy(test_);
  t.is(train![1].split(' ').length, history.trainAccList.length);
  t.is(test_![1].split(' ').length, history.testAccList.length);
  t.regex(svg, /<polyline class="train loss"/);
  for (const label of ['>epochs<', '>accuracy<', '>train<', '>test<', '>iterations<', '>loss<', '>SimpleConvNet<']) {
    t.true(svg.includes(label), `missing ${label}`);
  }
  // Higher accuracy is drawn higher (smaller y): the last train point is above the first.
  const pts = train![1].split(' ').map((p) => p.split(',').map(Number));
  t.true(pts[pts.length - 1][1] < pts[0][1]);
  t.true(pts[1][0] > pts[0][0]);
});

test('training curves: full range is the book 0–1, auto zooms in; tick labels follow', (t) => {
  const full = plotTrainingCurves(history, { yRange: 'full' }).svg;
  // 0.2/0.4 only appear on a 0–1 accuracy axis (the loss axis steps by 0.5).
  t.true(full.includes('>0.2<') && full.includes('>0.4<'));
  const auto = plotTrainingCurves(history).svg;
  t.false(auto.includes('>0.2<') || auto.includes('>0.4<'));
  t.true(auto.includes('>0.80<') && auto.includes('>0.95<'));
});

test('training curves: long loss lists are decimated in the SVG, not dropped', (t) => {
  const long = { ...history, trainLossList: Array.from({ length: 20000 }, (_, i) => 1 / (1 + i) + (i % 2) * 0.01) };
  const { svg } = plotTrainingCurves(long, { width: 800, height: 400 });
  const raw = svg.match(/<polyline class="train loss" points="([^"]*)"/)!;
  const n = raw[1].split(' ').length;
  t.true(n > 100 && n <= 2 * 800, `points: ${n}`);
});

test('training curves: empty history still draws, a bad history names the field', (t) => {
  const pic = plotTrainingCurves({ trainLossList: [], trainAccList: [], testAccList: [] });
  t.is(decode(pic.png).width, 1100);
  t.true(pic.svg.includes('no epochs recorded'));
  const err = t.throws(() => plotTrainingCurves({ trainLossList: [], trainAccList: [] } as never));
  t.regex(err!.message, /history\.testAccList/);
});

test('training curves ToFile: .png and .svg written, other extensions refused', (t) => {
  const d = tempDir(t, 'scratchnet-plot-');
  plotTrainingCurvesToFile(path.join(d, 'c.png'), history);
  plotTrainingCurvesToFile(path.join(d, 'c.svg'), history);
  t.is(decode(fs.readFileSync(path.join(d, 'c.png'))).height, 460);
  t.regex(fs.readFileSync(path.join(d, 'c.svg'), 'utf8'), /<svg /);
  const err = t.throws(() => plotTrainingCurvesToFile(path.join(d, 'c.jpg'), history));
  t.regex(err!.message, /\.png or \.svg/);
  t.deepEqual(fs.readdirSync(d).sort(), ['c.png', 'c.svg']);
});

test('filters: grid size is cols·kw·scale + gaps; each filter spans black to white', (t) => {
  const f = 30, c = 1, kh = 5, kw = 5;
  const data = new Float32Array(f * c * kh * kw);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.7) * 0.01 * (1 + (i % 3));
  const W = new Tensor(data, [f, c, kh, kw]);
  const buf = plotFilters(W, { cols: 8, scale: 6, gap: 2 });
  const png = decode(buf);
  t.is(png.width, 8 * 5 * 6 + 9 * 2);
  t.is(png.height, 4 * 5 * 6 + 5 * 2);
  const L = filterGridLayout(f, kh, kw, { cols: 8, scale: 6, gap: 2 });
  t.deepEqual([L.width, L.height, L.rows], [png.width, png.height, 4]);
  // Per-filter scaling: every tile contains a pure black and a pure white pixel.
  for (let i = 0; i < f; i++) {
    const x0 = 2 + (i % 8) * 32;
    const y0 = 2 + Math.floor(i / 8) * 32;
    let black = false;
    let white = false;
    for (let y = y0; y < y0 + 30; y++) {
      for (let x = x0; x < x0 + 30; x++) {
        const [r] = pixel(png, x, y);
        if (r === 0) black = true;
        if (r === 255) white = true;
      }
    }
    t.true(black && white, `filter ${i}`);
  }
  // The minimum weight of filter 0 is black at its scaled position.
  let argmin = 0;
  for (let k = 1; k < 25; k++) if (data[k] < data[argmin]) argmin = k;
  t.deepEqual(pixel(png, 2 + (argmin % 5) * 6 + 3, 2 + Math.floor(argmin / 5) * 6 + 3).slice(0, 3), [0, 0, 0]);
});

test('filters: fewer filters than cols shrink the grid; wrong shapes and channels are refused', (t) => {
  const W = Tensor.zeros([3, 2, 3, 3]);
  const png = decode(plotFilters(W, { scale: 4, gap: 1 }));
  t.is(png.width, 3 * 12 + 4);
  t.is(png.height, 12 + 2);
  // A constant filter is mid grey, not NaN-black.
  t.deepEqual(pixel(png, 2, 2).slice(0, 3), [128, 128, 128]);
  t.regex(t.throws(() => plotFilters(Tensor.zeros([10, 20]) as Tensor))!.message, /\(10, 20\).*W1/);
  t.regex(t.throws(() => plotFilters(W, { channel: 2 }))!.message, /channel 2.*2 channel/);
  const d = tempDir(t, 'scratchnet-plot-');
  plotFiltersToFile(path.join(d, 'sub', 'f.png'), W);
  t.true(fs.existsSync(path.join(d, 'sub', 'f.png')));
});

/** A small ImageSet stand-in: 4×4 images whose pixels encode the index. */
function tinyImages(n: number) {
  return {
    count: n,
    sampleShape: [1, 4, 4],
    sampleBytes: (i: number) => new Uint8Array(16).fill(i * 10),
  };
}

test('misclassified: only wrong predictions, at most max, with t:/p: captions', (t) => {
  const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const preds = [0, 7, 2, 3, 1, 5, 6, 7, 2, 9];
  t.deepEqual(misclassifiedIndices(labels, preds), [1, 4, 8]);
  const png = decode(plotMisclassified(tinyImages(10), labels, preds, { scale: 5, cols: 1 }));
  const one = decode(plotMisclassified(tinyImages(10), labels, preds, { scale: 5, cols: 1, max: 1 }));
  // One cell is 4·5 image pixels + a 7-pixel caption + 14 of padding high, under a 24-pixel title.
  t.is(png.height, 24 + 3 * 41 + 4);
  t.is(one.height, 24 + 41 + 4);
  // The caption is red ink: present under each of the three cells.
  for (let row = 0; row < 3; row++) {
    let red = 0;
    for (let y = 24 + row * 41 + 26; y < 24 + row * 41 + 33; y++) {
      for (let x = 0; x < png.width; x++) if (pixel(png, x, y)[0] === 200) red++;
    }
    t.true(red > 20, `caption ink in row ${row}: ${red}`);
  }
  // LabelSet-like objects are accepted too.
  const viaSet = decode(plotMisclassified(tinyImages(10), { labels: Uint8Array.from(labels) }, preds, { scale: 5, cols: 1 }));
  t.deepEqual([viaSet.width, viaSet.height], [png.width, png.height]);
  const err = t.throws(() => plotMisclassified(tinyImages(9), labels, preds));
  t.regex(err!.message, /9 images but 10 labels/);
  const d = tempDir(t, 'scratchnet-plot-');
  plotMisclassifiedToFile(path.join(d, 'm.png'), tinyImages(10), labels, preds);
  t.true(decode(fs.readFileSync(path.join(d, 'm.png'))).width > 0);
});

test('misclassified: flat 784-pixel samples are drawn as 28×28', (t) => {
  const imgs = { count: 2, sampleShape: [784], sampleBytes: () => new Uint8Array(784) };
  const png = decode(plotMisclassified(imgs, [1, 2], [3, 4], { scale: 2, cols: 2 }));
  t.true(png.width >= 2 * 56);
  t.true(png.height >= 24 + 56);
  const bad = { count: 1, sampleShape: [10], sampleBytes: () => new Uint8Array(10) };
  t.regex(t.throws(() => plotMisclassified(bad, [1], [2]))!.message, /\(10\).*reshape/);
});

test('ticks, labels and the bitmap font', (t) => {
  t.deepEqual(niceTicks(0, 1, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(niceTicks(0.85, 1, 5).ticks.map((v) => tickLabel(v, 0.05)), ['0.85', '0.90', '0.95', '1.00']);
  t.deepEqual(niceTicks(0, 12000, 6).ticks, [0, 2000, 4000, 6000, 8000, 10000, 12000]);
  for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:%.()-') t.true(hasGlyph(ch), ch);
  t.is(textWidth('t:7 p:2', 1), 7 * 6 - 1);
  // Glyphs differ from each other (no copy-paste duplicates among digits).
  const seen = new Set<string>();
  for (const ch of '0123456789') seen.add(Array.from(glyph(ch)).join(''));
  t.is(seen.size, 10);
  const cv = new Canvas(20, 10);
  cv.text('1', 0, 0, [0, 0, 0]);
  const ink = Array.from({ length: 7 }, (_, y) => cv.data[(y * 20 + 2) * 4]);
  t.deepEqual(ink, [0, 0, 0, 0, 0, 0, 0]); // the stem of '1' is column 2, all 7 rows
});
