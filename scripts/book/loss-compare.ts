// The loop of ch06/optimizer_compare_mnist.py and ch06/weight_init_compare.py: several networks
// trained side by side on the SAME mini-batches (one np.random.choice draw per iteration), each
// loss taken on that batch after the update, as the book does; then the book's smooth_curve
// of each loss, with markers every 100 iterations, as one figure.
import type { Sequential } from '../../lib/networks/sequential';
import type { Optimizer } from '../../lib/optimizers/optimizer';
import { CYCLE } from '../../lib/plot/chart';
import type { MarkerShape } from '../../lib/plot/canvas';
import { smoothCurve } from '../../lib/plot/figure';
import { acc, mnist, RandomBatches, saveFigure, type ScriptArgs } from './common';

export interface Contestant {
  name: string;
  network: Sequential;
  optimizer: Optimizer;
  marker: MarkerShape;
}

export interface LossComparison {
  iterations: number;
  batchSize: number;
  trainSize: number;
  testSize: number;
  /** Per contestant: the loss of every iteration and the final test accuracy. */
  losses: Record<string, number[]>;
  testAccuracy: Record<string, number>;
  figure: { files: string[]; width: number; height: number };
}

export function compareLosses(args: ScriptArgs, base: string, title: string, yMax: number,
  contestants: Contestant[], iterations: number, batchSize: number): LossComparison {
  const { xTrain, tTrain, xTest, tTest } = mnist(true, args.num['train-size'], args.num['test-size']);
  const batches = new RandomBatches(xTrain, tTrain, batchSize, args.seed);
  const losses: Record<string, number[]> = {};
  for (const c of contestants) losses[c.name] = [];
  for (let i = 0; i < iterations; i++) {
    const { x, t } = batches.next();
    for (const c of contestants) {
      const grads = c.network.gradient(x, t);
      c.optimizer.update(c.network.params, grads);
      losses[c.name].push(c.network.loss(x, t));
    }
    if (i % 100 === 0) {
      console.log(`=========== iteration:${i} ===========`);
      for (const c of contestants) console.log(`${c.name}:${losses[c.name][i].toFixed(6)}`);
    }
  }
  const testAccuracy: Record<string, number> = {};
  for (const c of contestants) {
    testAccuracy[c.name] = c.network.accuracy(xTest, tTest);
    console.log(`${c.name}: test accuracy ${acc(testAccuracy[c.name])} (${xTest.count} images) after ${iterations} iterations`);
  }
  const xs = Array.from({ length: iterations }, (_, i) => i);
  const figure = saveFigure(args.out, base, {
    title,
    panelWidth: 720,
    panelHeight: 480,
    panels: [{
      xLabel: 'iterations', yLabel: 'loss', yRange: [0, yMax], legend: 'upper right',
      series: contestants.map((c, k) => ({
        name: c.name, xs, ys: smoothCurve(losses[c.name]), color: CYCLE[k % CYCLE.length], marker: c.marker, markEvery: 100,
      })),
    }],
  });
  return { iterations, batchSize, trainSize: xTrain.count, testSize: xTest.count, losses, testAccuracy, figure };
}
