// scratchnet example <name>: run one of the book-style examples shipped in the package
// (dist/scripts/examples), e.g. `npx scratchnet example homework2 --epochs 1`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CommandSpec, CliError, helpText } from './options';
import { io } from './common';
import { packageRoot } from '../backend/native';

const examplesDir = path.join(packageRoot, 'dist', 'scripts', 'examples');

/** Example file names without .js; args.js is their shared option parser, not an example. */
export function exampleNames(): string[] {
  if (!fs.existsSync(examplesDir)) return [];
  return fs.readdirSync(examplesDir)
    .filter((f) => f.endsWith('.js') && f !== 'args.js')
    .map((f) => f.slice(0, -3))
    .sort();
}

/** 'homework2' → 'homework2-lenet': the full name, or the one name starting with `<name>-`. */
export function resolveExample(name: string): string | null {
  const names = exampleNames();
  if (names.includes(name)) return name;
  const prefixed = names.filter((n) => n.startsWith(`${name}-`));
  return prefixed.length === 1 ? prefixed[0] : null;
}

export const exampleSpec: CommandSpec = {
  name: 'example',
  summary: 'run a shipped example (the book\'s train_convnet, the homeworks, a worker, your own stack)',
  usage: 'scratchnet example <name> [--epochs n] [--train-size n] [--test-size n] [--out dir]',
  options: {
    epochs: { type: 'string', arg: '<n>', help: 'training epochs (each example has its own default)' },
    'train-size': { type: 'string', arg: '<n>', help: 'first n training images (default: all 60,000)' },
    'test-size': { type: 'string', arg: '<n>', help: 'first n test images (default: all 10,000)' },
    out: { type: 'string', arg: '<dir>', help: 'where pictures and parameters go (default: runs/<example>)' },
  },
  positionals: true,
  examples: ['scratchnet example homework2 --epochs 1 --train-size 5000', 'scratchnet example train-convnet'],
};

export async function exampleCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(helpText(exampleSpec));
    io.out('');
    io.out(`Examples shipped: ${exampleNames().join(', ') || 'none (dist/scripts/examples is missing: run npm run build:ts)'}`);
    return name === undefined ? 2 : 0;
  }
  const file = resolveExample(name);
  if (!file) {
    throw new CliError(`scratchnet example: no example '${name}'. Shipped: ${exampleNames().join(', ')} ` +
      `(homework1 and homework2 are short for the homework ones).`);
  }
  // The example parses its own options (and rejects unknown ones with their names).
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', path.join(examplesDir, `${file}.js`), ...rest],
    { stdio: 'inherit' });
  if (r.error) throw new CliError(`scratchnet example: could not start ${process.execPath}: ${r.error.message}`, 1);
  return r.status ?? 1;
}
