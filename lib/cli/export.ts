// scratchnet export: a trained network (a run directory, or a parameter file) as an ONNX model
// and/or a PyTorch module with its state dict, for use outside scratchnet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveBackend } from '../backend/index';
import { exportOnnx, ONNX_IR_VERSION, ONNX_OPSET, type OnnxExportInfo } from '../export/onnx';
import { exportPyTorch, type PyTorchExportInfo } from '../export/pytorch';
import { presetNames } from '../networks/resolve';
import { io, loadTrained, oneLine } from './common';
import { CliError, type CommandSpec, flag, helpText, parseCommand, str } from './options';

export const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'write a trained network as an ONNX model and/or a PyTorch module with its state dict',
  usage: 'scratchnet export (--run <dir> | --params <file.safetensors>) (--onnx <file.onnx> | --pytorch <dir>) [options]',
  options: {
    run: { type: 'string', arg: '<dir>', help: 'a directory written by scratchnet train (params.safetensors + model.json)' },
    params: { type: 'string', arg: '<file>', help: 'a parameter file (safetensors, saveParams)' },
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')} or a model file`, def: "the run's model.json or the file's own metadata" },
    onnx: { type: 'string', arg: '<file.onnx>', help: `write an ONNX model (opset ${ONNX_OPSET}): input 'input' (batch, …), output 'logits'` },
    softmax: { type: 'boolean', help: "with --onnx: also output 'probabilities', the softmax of the logits" },
    pytorch: { type: 'string', arg: '<dir>', help: 'write <dir>/model.py (a torch.nn.Module) and <dir>/state_dict.safetensors (its state dict)' },
    'class-name': { type: 'string', arg: '<Name>', help: "with --pytorch: the module class's name", def: 'from the model: SimpleConvNet, LeNet5, …' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  examples: [
    'scratchnet export --run runs/simple-convnet --onnx simple-convnet.onnx',
    'scratchnet export --run runs/lenet5 --pytorch lenet5-torch/',
    'scratchnet export --params params.safetensors --onnx model.onnx --softmax --pytorch model-torch/',
  ],
};

/** The book's class names for the presets; other models get their name in PascalCase. */
const CLASS_NAMES: Record<string, string> = {
  'simple-convnet': 'SimpleConvNet', 'conv-1fc': 'ConvNet1FC', lenet5: 'LeNet5', 'deep-convnet': 'DeepConvNet',
};

export function className(modelName: string): string {
  if (CLASS_NAMES[modelName]) return CLASS_NAMES[modelName];
  const words = modelName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  if (!pascal || pascal === 'Model' || pascal === 'BookDropout') return 'Network';
  return /^[0-9]/.test(pascal) ? `Net${pascal}` : pascal;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(exportSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(exportSpec));
    return 0;
  }
  const onnxFile = str(v, 'onnx');
  const torchDir = str(v, 'pytorch');
  if (!onnxFile && !torchDir) {
    throw new CliError(`scratchnet export: which format? Give --onnx <file.onnx>, --pytorch <dir>, or both.`);
  }
  if (flag(v, 'softmax') && !onnxFile) throw new CliError(`scratchnet export: --softmax adds an output to the ONNX model; give --onnx <file.onnx> too.`);
  if (str(v, 'class-name') !== undefined && !torchDir) throw new CliError(`scratchnet export: --class-name names the PyTorch module; give --pytorch <dir> too.`);
  if (onnxFile && fs.existsSync(onnxFile) && fs.statSync(onnxFile).isDirectory()) {
    throw new CliError(`scratchnet export: --onnx ${onnxFile} is a directory; give the file to write, e.g. --onnx ${path.join(onnxFile, 'model.onnx')}.`);
  }
  if (torchDir && fs.existsSync(torchDir) && !fs.statSync(torchDir).isDirectory()) {
    throw new CliError(`scratchnet export: --pytorch ${torchDir} is a file; give a directory to write model.py and state_dict.safetensors into.`);
  }
  // Exporting computes nothing: the reference backend holds the parameters as well as any.
  const { net, paramsPath, modelName } = loadTrained('export', v, resolveBackend('reference'));
  const json = flag(v, 'json');
  const result: { model: string; params: string; onnx?: OnnxExportInfo; pytorch?: PyTorchExportInfo } = { model: modelName, params: paramsPath };
  try {
    if (onnxFile) {
      result.onnx = exportOnnx(net, onnxFile, { softmax: flag(v, 'softmax'), graphName: modelName, docString: `exported from ${paramsPath}` });
    }
    if (torchDir) result.pytorch = exportPyTorch(net, torchDir, { className: str(v, 'class-name') ?? className(modelName) });
  } catch (e) {
    throw new CliError(`scratchnet export: ${oneLine((e as Error).message)}`, 1);
  }
  if (json) {
    io.json(result);
    return 0;
  }
  if (result.onnx) {
    const o = result.onnx;
    const outs = o.outputs.map((x) => `'${x.name}' (${x.shape.join(', ')})`).join(' and ');
    io.out(`wrote ${onnxFile}: ONNX opset ${o.opset} (IR ${ONNX_IR_VERSION}), ${fmtBytes(o.bytes)}; input 'input' float32 (${o.input.shape.join(', ')}), output ${outs}; ` +
      `${o.parameterCount.toLocaleString('en-US')} trained values; operators ${o.operators.join(', ')}`);
  }
  if (result.pytorch) {
    const p = result.pytorch;
    const dir = p.dir;
    io.out(`wrote ${path.join(dir, p.moduleFile)} (class ${p.className}) and ${path.join(dir, p.weightsFile)} (${Object.keys(p.names).length} state-dict tensors)`);
    io.out(`  in Python: import sys; sys.path.insert(0, ${JSON.stringify(path.resolve(dir))}); from ${p.moduleFile.replace(/\.py$/, '')} import load; model = load()`);
    io.out(`  check it: python3 ${path.join(dir, p.moduleFile)}`);
  }
  return 0;
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
