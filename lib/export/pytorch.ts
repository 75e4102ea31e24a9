// PyTorch export: a directory with the network as a torch.nn.Module (model.py, generated from the
// layers) and its state dict (state_dict.safetensors) under PyTorch's names and layouts, so that
//   model = SimpleConvNet(); model.load_state_dict(state_dict)
// loads strictly. The weights are safetensors because scratchnet already writes that format and
// any torch reads it: with the `safetensors` package when it is installed, and otherwise with the
// 20-line reader model.py carries (standard library + torch.frombuffer), since Debian's
// python3-torch comes without that package. torch.save's .pt (a zip of pickles) is one line away
// once loaded, and is not written here: a hand-made pickle writer is the kind of encoder a
// well-kept library should own.
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { makeDirectory } from '../io/directory';
import { saveSafetensors } from '../io/safetensors';
import type { Sequential } from '../networks/sequential';
import { Tensor } from '../tensor/tensor';
import { exportPlan, type ExportPlan, type ExportStep, type ExportTensor, type Pads } from './plan';

export interface PyTorchExportOptions {
  /** The module class's name (default 'Network'); must be a Python identifier. */
  className?: string;
  /** The module file's name in the directory (default 'model.py'). */
  moduleFile?: string;
  /** The state dict's file name in the directory (default 'state_dict.safetensors'). */
  weightsFile?: string;
}

export interface PyTorchExportInfo {
  dir: string;
  moduleFile: string;
  weightsFile: string;
  className: string;
  /** State-dict key → the book's name it holds (conv1.weight → W1; affine1.weight → W2ᵀ). */
  names: Record<string, string>;
  parameterCount: number;
}

interface PyStep {
  step: ExportStep;
  /** The attribute holding the layer's module (conv1). */
  attr: string;
  /** The constructor expression. */
  init: string;
  /** forward()'s lines, with `x` in and out. */
  forward: string[];
}

const PY_KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except finally for from global if ' +
  'import in is lambda nonlocal not or pass raise return try while with yield').split(' '));
/** Names an nn.Module attribute must not shadow. */
const MODULE_NAMES = new Set(['training', 'forward', 'load_state_dict', 'state_dict', 'eval', 'train', 'to', 'parameters', 'buffers', 'children', 'modules', 'input_shape', 'classes', 'float', 'double', 'half', 'cuda', 'cpu', 'type', 'apply', 'register_buffer', 'register_parameter', 'add_module', 'zero_grad', 'requires_grad_', 'extra_repr', 'named_parameters', 'named_buffers', 'named_children', 'named_modules']);

/**
 * Writes `dir`/model.py and `dir`/state_dict.safetensors (each atomically; the directory is
 * created). `python3 dir/model.py` loads and prints the network; `from model import load`.
 */
export function exportPyTorch(net: Sequential, dir: string, options: PyTorchExportOptions = {}): PyTorchExportInfo {
  if (typeof dir !== 'string' || dir === '') {
    throw new TypeError(`exportPyTorch: the output directory must be a non-empty string (e.g. 'exported/'), received ${JSON.stringify(dir)}.`);
  }
  const o = checkOptions(options);
  const plan = exportPlan(net, 'exportPyTorch');
  const steps = pySteps(plan);
  const { tensors, names } = stateDict(steps);
  makeDirectory(dir);
  saveSafetensors(path.join(dir, o.weightsFile), tensors, {
    format: 'pt',
    'scratchnet.names': JSON.stringify(names),
    'scratchnet.model': JSON.stringify(net.toConfig()),
  });
  writeFileAtomic(path.join(dir, o.moduleFile), Buffer.from(moduleSource(plan, steps, names, o), 'utf8'));
  return { dir, moduleFile: o.moduleFile, weightsFile: o.weightsFile, className: o.className, names, parameterCount: plan.parameterCount };
}

/** The model.py text for `net` (what exportPyTorch writes). */
export function pytorchModuleSource(net: Sequential, options: PyTorchExportOptions = {}): string {
  const o = checkOptions(options);
  const plan = exportPlan(net, 'exportPyTorch');
  const steps = pySteps(plan);
  return moduleSource(plan, steps, stateDict(steps).names, o);
}

function checkOptions(options: PyTorchExportOptions): Required<PyTorchExportOptions> {
  if (options === null || typeof options !== 'object') throw new TypeError(`exportPyTorch: options must be an object, received ${JSON.stringify(options)}.`);
  const allowed = ['className', 'moduleFile', 'weightsFile'];
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new TypeError(`exportPyTorch: unknown option '${k}'. Allowed options: ${allowed.join(', ')}.`);
  }
  const className = options.className ?? 'Network';
  if (typeof className !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(className) || PY_KEYWORDS.has(className) || className === 'BookDropout') {
    throw new TypeError(`exportPyTorch: className must be a Python identifier other than a keyword and 'BookDropout' (e.g. 'SimpleConvNet'), received ${JSON.stringify(className)}.`);
  }
  const moduleFile = options.moduleFile ?? 'model.py';
  if (typeof moduleFile !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*\.py$/.test(moduleFile)) {
    throw new TypeError(`exportPyTorch: moduleFile must be an importable Python file name such as 'model.py', received ${JSON.stringify(moduleFile)}.`);
  }
  const weightsFile = options.weightsFile ?? 'state_dict.safetensors';
  if (typeof weightsFile !== 'string' || weightsFile === '' || /[/\\]/.test(weightsFile) || weightsFile === moduleFile) {
    throw new TypeError(`exportPyTorch: weightsFile must be a plain file name (no directory) other than the module's, received ${JSON.stringify(weightsFile)}.`);
  }
  return { className, moduleFile, weightsFile };
}

/** A Python attribute name for a layer: its network name in lower case (Conv1 → conv1), made unique and legal. */
function attrNames(plan: ExportPlan): string[] {
  const used = new Set<string>();
  return plan.steps.map((s) => {
    let a = s.name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    if (!/^[a-z_]/.test(a)) a = `layer_${a}`;
    if (PY_KEYWORDS.has(a) || MODULE_NAMES.has(a) || a.startsWith('_')) a = `${a}_`;
    let unique = a;
    for (let i = 2; used.has(unique); i++) unique = `${a}_${i}`;
    used.add(unique);
    return unique;
  });
}

function pyNumber(v: number): string {
  const s = String(v);
  return /[.eE]/.test(s) || !Number.isFinite(v) ? s : `${s}.0`;
}

function pyTuple(values: number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/** F.pad's order: (left, right, top, bottom). */
function torchPadArg(p: Pads): string {
  return pyTuple([p.left, p.right, p.top, p.bottom]);
}

function symmetric(p: Pads): boolean {
  return p.top === p.bottom && p.left === p.right;
}

function pyStep(step: ExportStep, attr: string): PyStep {
  const self = `self.${attr}`;
  switch (step.op) {
    case 'conv': {
      // nn.Conv2d pads both sides alike; other padding goes through F.pad (zeros, as scratchnet's).
      const sym = symmetric(step.pads);
      const padding = sym ? pyTuple([step.pads.top, step.pads.left]) : '0';
      return {
        step, attr,
        init: `nn.Conv2d(${step.inChannels}, ${step.filters}, kernel_size=${pyTuple([step.kh, step.kw])}, stride=${step.stride}, padding=${padding})`,
        forward: sym ? [`x = ${self}(x)`] : [`x = ${self}(F.pad(x, ${torchPadArg(step.pads)}))`],
      };
    }
    case 'maxpool': {
      // nn.MaxPool2d pads at most half the window on each side, alike; beyond that the padding is
      // made explicit with −∞, which (as in scratchnet) never wins a window.
      const inModule = symmetric(step.pads) && step.pads.top <= Math.floor(step.kh / 2) && step.pads.left <= Math.floor(step.kw / 2);
      const padding = inModule ? pyTuple([step.pads.top, step.pads.left]) : '0';
      return {
        step, attr,
        init: `nn.MaxPool2d(kernel_size=${pyTuple([step.kh, step.kw])}, stride=${step.stride}, padding=${padding})`,
        forward: inModule ? [`x = ${self}(x)`] : [`x = ${self}(F.pad(x, ${torchPadArg(step.pads)}, value=float("-inf")))`],
      };
    }
    case 'relu':
      return { step, attr, init: 'nn.ReLU()', forward: [`x = ${self}(x)`] };
    case 'sigmoid':
      return { step, attr, init: 'nn.Sigmoid()', forward: [`x = ${self}(x)`] };
    case 'flatten':
      return { step, attr, init: 'nn.Flatten()', forward: [`x = ${self}(x)`] };
    case 'affine':
      return {
        step, attr,
        init: `nn.Linear(${step.inFeatures}, ${step.units})`,
        forward: [step.flattenInput ? `x = ${self}(torch.flatten(x, 1))` : `x = ${self}(x)`],
      };
    case 'batchnorm': {
      // The book's momentum weighs the old average, PyTorch's the new batch: 1 − momentum.
      const args = `${step.features}, eps=${pyNumber(step.eps)}, momentum=${pyNumber(Number((1 - step.momentum).toPrecision(12)))}`;
      if (step.mode === 'channel') return { step, attr, init: `nn.BatchNorm2d(${args})`, forward: [`x = ${self}(x)`] };
      const vector = step.inputShape.length === 1;
      return {
        step, attr, init: `nn.BatchNorm1d(${args})`,
        forward: vector ? [`x = ${self}(x)`] : [`x = ${self}(torch.flatten(x, 1)).reshape(-1, ${step.inputShape.join(', ')})`],
      };
    }
    case 'dropout':
      return { step, attr, init: `BookDropout(${pyNumber(step.ratio)})`, forward: [`x = ${self}(x)`] };
  }
}

function pySteps(plan: ExportPlan): PyStep[] {
  const attrs = attrNames(plan);
  return plan.steps.map((s, i) => pyStep(s, attrs[i]));
}

/** The state dict: PyTorch's keys and layouts (Linear's weight is the book's Wᵀ, (out, in)). */
function stateDict(steps: PyStep[]): { tensors: Record<string, Tensor>; names: Record<string, string> } {
  const tensors: Record<string, Tensor> = {};
  const names: Record<string, string> = {};
  const put = (key: string, t: ExportTensor, data = t.data, shape = t.shape, note = '') => {
    tensors[key] = new Tensor(data, shape);
    names[key] = t.name + note;
  };
  for (const { step: s, attr } of steps) {
    if (s.op === 'conv') {
      put(`${attr}.weight`, s.W);
      put(`${attr}.bias`, s.b);
    } else if (s.op === 'affine') {
      put(`${attr}.weight`, s.W, transpose(s.W.data, s.inFeatures, s.units), [s.units, s.inFeatures], 'ᵀ');
      put(`${attr}.bias`, s.b);
    } else if (s.op === 'batchnorm') {
      put(`${attr}.weight`, s.gamma);
      put(`${attr}.bias`, s.beta);
      put(`${attr}.running_mean`, s.mean);
      put(`${attr}.running_var`, s.variance);
    }
  }
  return { tensors, names };
}

/** (rows, cols) row-major → (cols, rows). */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  }
  return out;
}

function moduleSource(plan: ExportPlan, steps: PyStep[], names: Record<string, string>, o: Required<PyTorchExportOptions>): string {
  const shape = plan.inputShape.join(', ');
  const usesDropout = steps.some((s) => s.step.op === 'dropout');
  const usesF = steps.some((s) => s.forward.some((l) => l.includes('F.pad')));
  const layerLines = steps.map((s) => `        self.${s.attr} = ${s.init}`);
  const forwardLines = steps.flatMap((s) => s.forward.map((l) => `        ${l}`));
  const nameLines = Object.entries(names).map(([k, v]) => `    ${k} ← ${v}`);
  const layers = plan.steps.map((s) => `${s.name} (${s.layer.kind}${s.layer.describe() ? `: ${s.layer.describe()}` : ''}) → ${formatTuple(s.outputShape)}`);
  return `"""${o.className}: a network trained with scratchnet ${plan.producerVersion}, as a PyTorch module.

Input: float32 (batch, ${shape}), scaled as in training (scratchnet's MNIST: byte / 255).
Output: class scores (logits), (batch, ${plan.classes}); torch.softmax(logits, 1) gives probabilities.

Layers (scratchnet's names):
${layers.map((l) => `    ${l}`).join('\n')}

Weights: ${o.weightsFile} beside this file, a safetensors state dict (state-dict key ← scratchnet's name):
${nameLines.join('\n') || '    (none)'}

Use:
    from ${o.moduleFile.replace(/\.py$/, '')} import load
    model = load()                       # ${o.className} in eval mode, weights loaded strictly
    logits = model(images)               # images: (batch, ${shape})
    torch.save(model.state_dict(), "${o.className}.pt")   # a .pt, if you prefer one

\`python3 ${o.moduleFile}\` loads the weights and prints the network.
Generated by scratchnet's exportPyTorch; edit freely.
"""
import array
import json
import os
import struct
import sys

import torch
from torch import nn
${usesF ? 'import torch.nn.functional as F\n' : ''}
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(o.weightsFile)})
${usesDropout ? BOOK_DROPOUT : ''}

class ${o.className}(nn.Module):
    input_shape = ${pyTuple(plan.inputShape)}
    classes = ${plan.classes}

    def __init__(self):
        super().__init__()
${layerLines.join('\n')}

    def forward(self, x):
${forwardLines.join('\n') || '        pass'}
        return x


def read_safetensors(path):
    """A safetensors file of float32 tensors, read with the standard library and torch: an 8-byte
    little-endian header length, a JSON header, then each tensor's raw little-endian values."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    start = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}; this reader takes F32 (what scratchnet writes)")
        begin, end = entry["data_offsets"]
        values = array.array("f")
        values.frombytes(data[start + begin:start + end])
        if sys.byteorder == "big":
            values.byteswap()
        flat = torch.frombuffer(values, dtype=torch.float32).clone() if len(values) else torch.zeros(0)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def load_state_dict(path=WEIGHTS):
    """The state dict in \`path\`: with the safetensors package when it is installed, else read here."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        return read_safetensors(path)
    return load_file(path)


def load(path=WEIGHTS):
    """${o.className} with the weights in \`path\` (strictly: every key, every shape), in eval mode."""
    model = ${o.className}()
    model.load_state_dict(load_state_dict(path))
    return model.eval()


if __name__ == "__main__":
    model = load(sys.argv[1] if len(sys.argv) > 1 else WEIGHTS)
    print(model)
    with torch.no_grad():
        out = model(torch.zeros((1,) + model.input_shape))
    count = sum(t.numel() for t in model.state_dict().values() if t.is_floating_point())
    print(f"{count:,} values loaded; output for one input: {tuple(out.shape)}")
`;
}

const BOOK_DROPOUT = `

class BookDropout(nn.Module):
    """The book's Dropout, which is not inverted: training keeps each value with probability
    1 - ratio and does not rescale; evaluation multiplies by 1 - ratio. (nn.Dropout rescales
    while training and is the identity in evaluation: other scores for the same weights.)"""

    def __init__(self, ratio):
        super().__init__()
        self.ratio = ratio

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.ratio).to(x.dtype)
        return x * (1.0 - self.ratio)

    def extra_repr(self):
        return f"ratio={self.ratio}"
`;

function formatTuple(shape: number[]): string {
  return `(${shape.join(', ')})`;
}
