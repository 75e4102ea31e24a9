// The `scratchnet` command: dispatches to one module per command and turns every failure into
// ONE line on stderr with a non-zero exit code (the stack only with SCRATCHNET_DEBUG=1).
import { suggest } from '../check';
import { CliError } from './options';
import { io, version } from './common';

type Command = (argv: string[]) => Promise<number>;

// Loaded on demand so `scratchnet info` or `--help` never pays for (or fails on) the others.
const COMMANDS: Record<string, { summary: string; load: () => Command }> = {
  train: { summary: 'train a network on MNIST (progress, checkpoints, pictures)', load: () => require('./train').trainCommand },
  sweep: { summary: 'hyperparameter search over train options (random or grid), judged on a validation split', load: () => require('./sweep').sweepCommand },
  eval: { summary: 'accuracy and confusion matrix of a trained network', load: () => require('./eval').evalCommand },
  predict: { summary: 'classify PNG files or idx images', load: () => require('./predict').predictCommand },
  export: { summary: 'write a trained network as ONNX or as a PyTorch module + state dict', load: () => require('./export').exportCommand },
  summary: { summary: 'the model table (layers, shapes, parameters)', load: () => require('./summary').summaryCommand },
  bench: { summary: 'time a training step per layer, native vs reference, and check they agree', load: () => require('./bench').benchCommand },
  info: { summary: 'version, native backend, OpenBLAS, threads, SIMD', load: () => require('./info').infoCommand },
  example: { summary: 'run a shipped example (homework1, homework2, custom-sequential, worker-training) or one of the book\'s ch. 5–8 scripts (optimizer_compare_mnist, batch_norm_test, train_convnet …)', load: () => require('./example').exampleCommand },
  build: { summary: 'compile the native addon from source on this machine (cmake, g++)', load: () => require('./build').buildCommand },
};

export function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    `scratchnet ${version()} — the convolutional networks of "Deep Learning from Scratch", trained fast on the CPU`,
    '',
    'Usage: scratchnet <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'Run scratchnet <command> --help for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd === 'help' && rest[0] && COMMANDS[rest[0]]) return COMMANDS[rest[0]].load()(['--help']);
    io.out(usage());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.out(version());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    const near = suggest(cmd, Object.keys(COMMANDS));
    throw new CliError(`scratchnet: unknown command '${cmd}'${near ? ` (did you mean ${near}?)` : ''}. Commands: ${Object.keys(COMMANDS).join(', ')}. Run scratchnet --help.`);
  }
  return c.load()(rest);
}

function report(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const debug = process.env.SCRATCHNET_DEBUG === '1';
  let line = err.message.replace(/\s*\n\s*/g, ' ').trim();
  if (!(err instanceof CliError) && !line.startsWith('scratchnet')) line = `scratchnet: ${line}`;
  if (!(err instanceof CliError) && !debug) line += ' (set SCRATCHNET_DEBUG=1 for the stack trace)';
  process.stderr.write(line + '\n');
  if (debug && err.stack) process.stderr.write(err.stack + '\n');
  return err instanceof CliError ? err.exitCode : 1;
}

/** Runs the CLI and exits with its code once output is flushed. */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => { process.exitCode = code; },
    (e) => { process.exitCode = report(e); },
  );
}

if (require.main === module) run();
