// scratchnet example <name>: run one of the scripts shipped in the package — the examples
// (dist/scripts/examples: homework, a worker, your own stack) and the book's experiments under
// the book's file names (dist/scripts/book), e.g. `npx scratchnet example optimizer_compare_mnist`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CommandSpec, CliError, helpText } from './options';
import { io } from './common';
import { packageRoot } from '../backend/native';

const examplesDir = path.join(packageRoot, 'dist', 'scripts', 'examples');
const bookDir = path.join(packageRoot, 'dist', 'scripts', 'book');

/** The book's scripts (chapter, file name without .py, what its figure shows), in the book's order. */
export const BOOK_SCRIPTS: ReadonlyArray<{ chapter: number; name: string; shows: string; aliases?: string[] }> = [
  { chapter: 5, name: 'train_neuralnet', shows: 'TwoLayerNet trained by backprop + SGD: accuracy per epoch, loss' },
  { chapter: 6, name: 'optimizer_compare_mnist', shows: 'SGD, Momentum, AdaGrad, Adam: loss curves' },
  { chapter: 6, name: 'weight_init_activation_histogram', shows: 'activation histograms of 5 layers for each weight init' },
  { chapter: 6, name: 'weight_init_compare', shows: 'std 0.01 vs Xavier vs He: loss curves' },
  { chapter: 6, name: 'batch_norm_test', shows: 'with vs without batch norm at 16 weight scales' },
  { chapter: 6, name: 'overfit_weight_decay', shows: 'overfitting 300 images, without and with weight decay' },
  { chapter: 6, name: 'overfit_dropout', shows: 'overfitting 300 images, without and with Dropout' },
  { chapter: 6, name: 'hyperparameter_optimization', shows: 'random search of lr and weight decay: the 20 best' },
  { chapter: 7, name: 'train_convnet', shows: 'SimpleConvNet: accuracy curves, trained parameters', aliases: ['train-convnet'] },
  { chapter: 7, name: 'visualize_filter', shows: 'first-layer filters before and after training' },
  { chapter: 8, name: 'train_deepnet', shows: 'DeepConvNet: accuracy curves, trained parameters', aliases: ['deep_convnet'] },
  { chapter: 8, name: 'misclassified_mnist', shows: 'the test images DeepConvNet gets wrong' },
];

/** Example file names without .js; args.js is their shared option parser, not an example. */
export function exampleNames(): string[] {
  if (!fs.existsSync(examplesDir)) return [];
  return fs.readdirSync(examplesDir)
    .filter((f) => f.endsWith('.js') && f !== 'args.js')
    .map((f) => f.slice(0, -3))
    .sort();
}

/**
 * The script file a name stands for: an example ('homework2-lenet', or 'homework2' when one
 * example starts with 'homework2-'), or a book script by its file name ('optimizer_compare_mnist',
 * 'ch06/optimizer_compare_mnist.py', 'optimizer-compare-mnist') or alias ('train-convnet').
 */
export function resolveExample(name: string): string | null {
  const names = exampleNames();
  if (names.includes(name)) return path.join(examplesDir, `${name}.js`);
  const bare = name.replace(/^ch0?\d+\//, '').replace(/\.(py|js|ts)$/, '');
  const book = BOOK_SCRIPTS.find((b) => b.name === bare || b.name === bare.replace(/-/g, '_') || b.aliases?.includes(bare));
  if (book) return path.join(bookDir, `${book.name}.js`);
  const prefixed = names.filter((n) => n.startsWith(`${name}-`));
  return prefixed.length === 1 ? path.join(examplesDir, `${prefixed[0]}.js`) : null;
}

function shippedList(): string {
  const book = BOOK_SCRIPTS.map((b) => `  ch${String(b.chapter).padStart(2, '0')} ${b.name.padEnd(34)}${b.shows}`);
  return `Examples: ${exampleNames().join(', ') || 'none (dist/scripts/examples is missing: run npm run build:ts)'}\n` +
    `The book's scripts (each writes its figure as PNG + SVG and results.json to runs/<name>; --help for its settings, --quick for a short run):\n${book.join('\n')}`;
}

export const exampleSpec: CommandSpec = {
  name: 'example',
  summary: 'run a shipped example or one of the book\'s experiments (optimizer_compare_mnist, batch_norm_test, …)',
  usage: 'scratchnet example <name> [options]   (options: the example\'s own; <name> --help lists them)',
  options: {
    epochs: { type: 'string', arg: '<n>', help: 'training epochs (each example has its own default)' },
    'train-size': { type: 'string', arg: '<n>', help: 'first n training images (default: all 60,000)' },
    'test-size': { type: 'string', arg: '<n>', help: 'first n test images (default: all 10,000)' },
    out: { type: 'string', arg: '<dir>', help: 'where pictures and parameters go (default: runs/<example>)' },
  },
  positionals: true,
  examples: ['scratchnet example homework2 --epochs 1 --train-size 5000', 'scratchnet example optimizer_compare_mnist', 'scratchnet example batch_norm_test --quick'],
};

export async function exampleCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(helpText(exampleSpec));
    io.out('');
    io.out(shippedList());
    return name === undefined ? 2 : 0;
  }
  const file = resolveExample(name);
  if (!file) {
    throw new CliError(`scratchnet example: no example '${name}'. Shipped: ${exampleNames().join(', ')} ` +
      `(homework1 and homework2 are short for the homework ones), and the book's ${BOOK_SCRIPTS.map((b) => b.name).join(', ')}.`);
  }
  if (!fs.existsSync(file)) {
    throw new CliError(`scratchnet example: ${file} is missing (the package was built without its scripts). Fix: npm run build:ts in a clone, or reinstall scratchnet.`);
  }
  // The example parses its own options (and rejects unknown ones with their names).
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', file, ...rest],
    { stdio: 'inherit' });
  if (r.error) throw new CliError(`scratchnet example: could not start ${process.execPath}: ${r.error.message}`, 1);
  return r.status ?? 1;
}
