// What the book's scripts share here: their command line (each script's own settings, with the
// book's values as defaults and a --quick set small enough for a smoke test), the book's
// load_mnist, np.random.choice mini-batches, and writing the figures (PNG + SVG) and the numbers
// (results.json) into one output directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { getBackend } from '../../lib/backend/index';
import type { ImageSet, LabelSet } from '../../lib/data/dataset';
import { loadMnistSubset } from '../../lib/data/subset';
import { writeFileAtomic } from '../../lib/io/atomic';
import { COLORS } from '../../lib/plot/chart';
import { plotFigureToFile, figureSize, type FigurePanel, type FigureSpec } from '../../lib/plot/figure';
import { Rng } from '../../lib/tensor/rng';
import { Tensor } from '../../lib/tensor/tensor';

/** A numeric setting: the book's value, the --quick value, and what it is. */
export interface NumberOption {
  default: number | null;
  quick: number | null;
  help: string;
  /** Integer ≥ 1 (the default) or any finite number ≥ 0. */
  kind?: 'int' | 'number';
}

/** A list setting (comma-separated on the command line). */
export interface ListOption {
  default: string[];
  quick?: string[];
  help: string;
  list: true;
  /** The values allowed; anything else is refused with this list. */
  choices?: readonly string[];
}

export interface ScriptSpec {
  /** The book's file name without .py, e.g. 'optimizer_compare_mnist'. */
  name: string;
  /** Where it is in the book, e.g. 'ch06/optimizer_compare_mnist.py'. */
  book: string;
  /** One line: what it shows. */
  about: string;
  options: Record<string, NumberOption | ListOption>;
  /** Extra string options (paths). */
  paths?: Record<string, { help: string }>;
}

export interface ScriptArgs {
  quick: boolean;
  out: string;
  seed: number;
  num: Record<string, number | null>;
  list: Record<string, string[]>;
  path: Record<string, string | undefined>;
}

function isList(o: NumberOption | ListOption): o is ListOption {
  return (o as ListOption).list === true;
}

function usage(spec: ScriptSpec): string {
  const lines = [
    `${spec.name} — the book's ${spec.book}: ${spec.about}`,
    '',
    `usage: scratchnet example ${spec.name} [options]   (in a clone: node dist/scripts/book/${spec.name}.js [options])`,
    '',
    '  --quick           a few seconds\' version of the run (a smoke test; the numbers mean little)',
    `  --out <dir>       where the figures and results.json go (default runs/${spec.name})`,
    '  --seed <n>        seeds the weights and the mini-batch sampling (default 0)',
  ];
  for (const [k, o] of Object.entries(spec.options)) {
    const d = isList(o) ? o.default.join(',') : o.default === null ? 'all' : String(o.default);
    lines.push(`  --${k.padEnd(16)}${o.help} (default ${d})`);
  }
  for (const [k, o] of Object.entries(spec.paths ?? {})) lines.push(`  --${k.padEnd(16)}${o.help}`);
  return lines.join('\n');
}

/** Parses the script's command line; --help prints the usage and exits. */
export function scriptArgs(spec: ScriptSpec, argv = process.argv.slice(2)): ScriptArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    quick: { type: 'boolean' }, out: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' },
  };
  for (const k of Object.keys(spec.options)) options[k] = { type: 'string' };
  for (const k of Object.keys(spec.paths ?? {})) options[k] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    fail(`${(e as Error).message}\n\n${usage(spec)}`);
  }
  if (values.help) {
    console.log(usage(spec));
    process.exit(0);
  }
  const quick = values.quick === true;
  const out: ScriptArgs = {
    quick,
    out: (values.out as string | undefined) ?? path.join('runs', spec.name),
    seed: 0,
    num: {},
    list: {},
    path: {},
  };
  if (values.seed !== undefined) {
    const s = Number(values.seed);
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) fail(`--seed must be an integer in [0, 2³²), received '${values.seed}'.`);
    out.seed = s;
  }
  for (const [k, o] of Object.entries(spec.options)) {
    const given = values[k] as string | undefined;
    if (isList(o)) {
      const v = given === undefined ? (quick && o.quick ? o.quick : o.default) : given.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (v.length === 0) fail(`--${k} needs at least one value.`);
      if (o.choices) {
        const bad = v.filter((x) => !o.choices!.includes(x));
        if (bad.length > 0) fail(`--${k}: unknown ${bad.map((b) => `'${b}'`).join(', ')}; choose from ${o.choices.join(', ')}.`);
      }
      out.list[k] = v;
      continue;
    }
    if (given === undefined) {
      out.num[k] = quick ? o.quick : o.default;
      continue;
    }
    const n = Number(given);
    if ((o.kind ?? 'int') === 'int' ? !Number.isInteger(n) || n < 1 : !Number.isFinite(n) || n < 0) {
      fail(`--${k} must be ${(o.kind ?? 'int') === 'int' ? 'an integer ≥ 1' : 'a number ≥ 0'}, received '${given}'.`);
    }
    out.num[k] = n;
  }
  for (const k of Object.keys(spec.paths ?? {})) out.path[k] = values[k] as string | undefined;
  const b = getBackend();
  const n = b.getNumThreads();
  const threads = `, ${n} thread${n === 1 ? '' : 's'}`;
  console.log(`${spec.name} (the book's ${spec.book})${quick ? ' — QUICK run: tiny settings, a smoke test' : ''}; backend ${b.name}${threads}`);
  return out;
}

/** Prints the message and exits with status 2 (bad command line). */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** A numeric option that has no 'all' meaning. */
export function int(a: ScriptArgs, k: string): number {
  const v = a.num[k];
  if (v === null || v === undefined) throw new Error(`internal: option --${k} has no value`);
  return v;
}

/**
 * The book's load_mnist(normalize=True, flatten), cut to the first trainSize / testSize images
 * (null: all; more than MNIST has: refused, naming the option).
 */
export function mnist(flatten: boolean, trainSize: number | null, testSize: number | null) {
  try {
    return loadMnistSubset({ trainSize, testSize, sampleShape: flatten ? [784] : undefined }, { owner: 'mnist', trainSize: '--train-size', testSize: '--test-size' });
  } catch (e) {
    fail((e as Error).message.replace(/^mnist: /, ''));
  }
}

/**
 * The book's `batch_mask = np.random.choice(train_size, batch_size)`: indices drawn with
 * replacement, gathered into one input tensor and one label array reused every step.
 */
export class RandomBatches {
  readonly x: Tensor;
  readonly t: Int32Array;
  private readonly idx: Int32Array;
  private readonly rng: Rng;

  constructor(readonly images: ImageSet, readonly labels: LabelSet, readonly batchSize: number, seed: number) {
    this.x = Tensor.zeros([batchSize, ...images.sampleShape]);
    this.t = new Int32Array(batchSize);
    this.idx = new Int32Array(batchSize);
    this.rng = new Rng(seed);
  }

  next(): this {
    for (let i = 0; i < this.batchSize; i++) this.idx[i] = this.rng.int(this.images.count);
    this.images.gather(this.idx, 0, this.batchSize, this.x.data);
    this.labels.gather(this.idx, 0, this.batchSize, this.t);
    return this;
  }
}

/** Writes `<out>/<base>.png` and `.svg`; returns the two paths and the picture size. */
export function saveFigure(out: string, base: string, spec: FigureSpec): { files: string[]; width: number; height: number } {
  fs.mkdirSync(out, { recursive: true });
  const files = [path.join(out, `${base}.png`), path.join(out, `${base}.svg`)];
  for (const f of files) plotFigureToFile(f, spec);
  const { width, height } = figureSize(spec);
  return { files, width, height };
}

/** Writes `<out>/results.json` (the run's settings and numbers, for a reader or a test). */
export function saveResults(out: string, results: Record<string, unknown>): string {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'results.json');
  writeFileAtomic(file, Buffer.from(JSON.stringify(results, null, 1) + '\n', 'utf8'));
  return file;
}

/** Seconds since `start` (performance.now() milliseconds). */
export function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The closing line: what was written and how long the run took. */
export function done(files: string[], start: number): void {
  console.log(`wrote ${files.join(', ')} in ${seconds(start).toFixed(1)} s`);
}

/** 0.98765 → '0.9877': accuracies printed as the book prints them, but rounded. */
export function acc(v: number): string {
  return v.toFixed(4);
}

/**
 * The book's accuracy plot (ch. 4 – 6): train 'o' and test 's' per epoch, markers every
 * `markEvery` epochs, y from 0 to 1, legend lower right.
 */
export function accuracyPanel(title: string, train: number[], test: number[], firstEpoch: number, markEvery?: number): FigurePanel {
  const xs = train.map((_, i) => firstEpoch + i);
  return {
    title, xLabel: 'epochs', yLabel: 'accuracy', yRange: [0, 1], legend: 'lower right',
    series: [
      { name: 'train', xs, ys: train, color: COLORS.blue, marker: 'circle', markEvery },
      { name: 'test', xs, ys: test, color: COLORS.orange, marker: 'square', markEvery },
    ],
  };
}

/**
 * The trained parameters a script reads (the book's params.pkl), from --params or where the
 * script that trains them writes them; when missing, says which script to run first.
 */
export function trainedParams(a: ScriptArgs, producer: string, file: string): string {
  const p = a.path.params ?? path.join('runs', producer, file);
  if (!fs.existsSync(p)) {
    fail(`no trained parameters at ${p}. The book runs ${producer}.py first; here: ` +
      `scratchnet example ${producer} (it writes runs/${producer}/${file}), or pass --params <file>.`);
  }
  return p;
}

/** The book's `i % iter_per_epoch == 0`, with iter_per_epoch = max(train_size / batch_size, 1) possibly fractional. */
export function epochStart(i: number, iterPerEpoch: number): boolean {
  const e = i / iterPerEpoch;
  return Math.abs(e - Math.round(e)) < 1e-9;
}
