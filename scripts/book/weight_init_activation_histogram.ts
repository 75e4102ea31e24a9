// The book's ch06/weight_init_activation_histogram.py: 1,000 random inputs (100 values, N(0, 1))
// pushed through 5 layers of 100 units without training, and the histogram of each layer's
// activations (30 bins over [0, 1]). The book edits the script to switch the weight scale and
// the activation; this runs the cases its figures show, one row each:
// sigmoid with std 1 (fig. 6-10: activations pile up at 0 and 1, vanishing gradients), std 0.01
// (6-11: all near 0.5, no expressiveness), Xavier (6-13: spread out); ReLU with std 0.01,
// Xavier and He (6-14: only He keeps every layer's spread the same).
// No MNIST here: the experiment is the random input itself.
//   scratchnet example weight_init_activation_histogram [--cases sigmoid:1,relu:he] [--samples 1000]
import { Affine, Relu, Sigmoid } from '../../lib/layers/index';
import type { WeightInit } from '../../lib/layers/layer';
import { Sequential } from '../../lib/networks/sequential';
import { COLORS } from '../../lib/plot/chart';
import { histogram, type FigurePanel } from '../../lib/plot/figure';
import { Rng } from '../../lib/tensor/rng';
import { Tensor } from '../../lib/tensor/tensor';
import { done, fail, int, saveFigure, saveResults, scriptArgs } from './common';

const CASES = ['sigmoid:1', 'sigmoid:0.01', 'sigmoid:xavier', 'relu:0.01', 'relu:xavier', 'relu:he'] as const;
const LAYERS = 5;
const NODES = 100;
const BINS = 30;

const args = scriptArgs({
  name: 'weight_init_activation_histogram',
  book: 'ch06/weight_init_activation_histogram.py',
  about: 'histograms of 5 hidden layers\' activations for sigmoid/ReLU and weight std 1, 0.01, Xavier, He',
  options: {
    cases: { default: [...CASES], help: 'activation:weight pairs, one figure row each', list: true, choices: CASES },
    samples: { default: 1000, quick: 200, help: 'random input rows' },
  },
});
const start = performance.now();

function parseCase(c: string): { activation: 'sigmoid' | 'relu'; init: WeightInit; label: string; weights: string } {
  const [a, w] = c.split(':');
  if (a !== 'sigmoid' && a !== 'relu') fail(`--cases: '${c}' must be sigmoid:<w> or relu:<w>.`);
  const init: WeightInit = w === 'xavier' || w === 'he' ? w : Number(w);
  const label = w === 'xavier' ? 'Xavier' : w === 'he' ? 'He' : `std=${w}`;
  return { activation: a, init, weights: label, label: `${a === 'sigmoid' ? 'sigmoid' : 'ReLU'}, ${label}` };
}

const n = int(args, 'samples');
const rng = new Rng(args.seed);
// input_data = np.random.randn(1000, 100)
const input = Tensor.zeros([n, NODES]);
for (let i = 0; i < input.size; i++) input.data[i] = rng.normal();

const panels: FigurePanel[] = [];
const summary: Record<string, Array<{ layer: number; mean: number; std: number; counts: number[] }>> = {};
args.list.cases.forEach((c, row) => {
  const { activation, init, label, weights } = parseCase(c);
  const layers = [];
  for (let l = 0; l < LAYERS; l++) layers.push(new Affine({ units: NODES, weightInit: init }), activation === 'relu' ? new Relu() : new Sigmoid());
  // A seed per case, so adding or removing a case does not change the others' weights.
  const net = new Sequential({ inputShape: [NODES], layers, seed: args.seed + 1 + CASES.indexOf(c as typeof CASES[number]) });
  // The book's loop: x = activations[i − 1]; a = x·w; z = f(a). The biases are zero, as x·w has none.
  let x = input;
  const rows: Array<{ layer: number; mean: number; std: number; counts: number[] }> = [];
  const counts: number[][] = [];
  for (let l = 0; l < net.layers.length; l++) {
    x = net.layers[l].forward(x, false);
    if (l % 2 === 0) continue;
    const h = histogram(x.data, BINS, [0, 1]);
    let s = 0;
    let s2 = 0;
    for (const v of x.data) { s += v; s2 += v * v; }
    const mean = s / x.size;
    rows.push({ layer: rows.length + 1, mean, std: Math.sqrt(Math.max(0, s2 / x.size - mean * mean)), counts: h.counts });
    counts.push(h.counts);
  }
  summary[label] = rows;
  console.log(`${label}: per-layer mean ${rows.map((r) => r.mean.toFixed(3)).join(' ')}, std ${rows.map((r) => r.std.toFixed(3)).join(' ')}`);
  // One y range per row, as the book's subplots of one run share a scale. For ReLU the bin at 0
  // holds every negative input (half of them) and is clipped, as the book's ylim(0, 7000) does,
  // so that the spread of the rest stays visible.
  let yMax = 0;
  for (const cs of counts) for (let b = activation === 'relu' ? 1 : 0; b < cs.length; b++) yMax = Math.max(yMax, cs[b]);
  if (yMax === 0) for (const cs of counts) yMax = Math.max(yMax, cs[0]);
  counts.forEach((cs, l) => {
    panels.push({
      title: l === 0 ? `${activation === 'relu' ? 'ReLU' : 'sigmoid'}: 1-layer` : `${l + 1}-layer`,
      xLabel: row === args.list.cases.length - 1 ? 'activation' : '', yLabel: l === 0 ? weights : '',
      xTickLabels: true, yTickLabels: l === 0, legend: 'none', xRange: [0, 1], yRange: [0, Math.max(1, yMax * 1.05)],
      series: [], bars: [{ name: label, edges: histogram([], BINS, [0, 1]).edges, counts: cs, color: COLORS.blue }],
    });
  });
});

const fig = saveFigure(args.out, 'weight_init_activation_histogram', {
  title: `activations of 5 layers of ${NODES} units, ${n} random inputs (30 bins over [0, 1]; ReLU's bin at 0 clipped)`,
  cols: LAYERS, panelWidth: 250, panelHeight: 200, panels,
});
const results = saveResults(args.out, {
  script: 'weight_init_activation_histogram', quick: args.quick, seed: args.seed,
  settings: { samples: n, layers: LAYERS, nodes: NODES, bins: BINS, cases: args.list.cases }, layers: summary,
  figure: { width: fig.width, height: fig.height },
});
done([...fig.files, results], start);
