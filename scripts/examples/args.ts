// The examples' few command-line settings, so each can be run short (a smoke test) or in full:
//   node dist/scripts/examples/homework2-lenet.js --epochs 2 --train-size 5000 --test-size 1000
import { parseArgs } from 'node:util';
import { loadMnistSubset } from '../../lib/data/subset';

export interface ExampleArgs {
  epochs: number;
  trainSize: number | null;
  testSize: number | null;
  out: string;
}

export function exampleArgs(defaults: { epochs: number; out: string }): ExampleArgs {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string' }, 'train-size': { type: 'string' }, 'test-size': { type: 'string' }, out: { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, s: string | undefined): number | null => {
    if (s === undefined) return null;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer ≥ 1, received '${s}'.`);
    return n;
  };
  return {
    epochs: int('epochs', values.epochs) ?? defaults.epochs,
    trainSize: int('train-size', values['train-size']),
    testSize: int('test-size', values['test-size']),
    out: values.out ?? defaults.out,
  };
}

/** The book's load_mnist(flatten=False), cut to the requested subset sizes (lib/data/subset.ts). */
export function mnistSubset(a: ExampleArgs) {
  return loadMnistSubset({ trainSize: a.trainSize, testSize: a.testSize }, { owner: 'example', trainSize: '--train-size', testSize: '--test-size' });
}
