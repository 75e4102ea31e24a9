// scratchnet summary: the model table (layers, output shapes, parameter counts) without training.
import { type CommandSpec, flag, helpText, parseCommand, str } from './options';
import { buildNetwork, chooseModel, io, pickBackend } from './common';
import { presetNames } from '../networks/resolve';

export const summarySpec: CommandSpec = {
  name: 'summary',
  summary: 'print the model table: layers, output shapes, parameter counts',
  usage: 'scratchnet summary [--model <name|file.json>] [--json]',
  options: {
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')} or a JSON file describing a Sequential stack`, def: 'simple-convnet' },
    backend: { type: 'string', arg: '<name>', help: 'native or reference', def: 'native when available' },
    json: { type: 'boolean', help: 'the model description and parameter shapes as JSON' },
  },
  examples: ['scratchnet summary --model deep-convnet', 'scratchnet summary --model my-net.json'],
};

export async function summaryCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(summarySpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(summarySpec));
    return 0;
  }
  const json = flag(v, 'json');
  const backend = pickBackend('summary', v, () => { /* the table names the backend */ });
  const choice = chooseModel('summary', str(v, 'model') ?? 'simple-convnet');
  const net = buildNetwork('summary', choice, backend, 0);
  if (json) {
    const params: Record<string, number[]> = {};
    let total = 0;
    for (const [k, t] of Object.entries(net.params)) { params[k] = t.shape; total += t.size; }
    io.json({
      model: choice.name, inputShape: net.inputShape, outputShape: net.outputShape, totalParams: total, params,
      layers: net.layers.map((l) => ({ name: l.label, kind: l.kind, settings: l.describe(), outputShape: l.outputShape, params: l.paramCount(),
        unusedInput: l.unusedInput() })),
      config: net.toConfig(),
    });
  } else {
    io.out(`${choice.name}`);
    io.out(net.summary());
  }
  return 0;
}
