// ONNX export: the network as an ONNX model (opset 13, IR version 7 — what ONNX 1.8 and every
// runtime since reads), encoded by onnx-proto, the ONNX schema compiled for protobufjs.
//
// Graph: input 'input' float32 (batch, …inputShape) with a symbolic batch axis → one node (or
// two, for an Affine on images or a per-feature BatchNormalization on images) per layer →
// output 'logits' (batch, classes), and 'probabilities' (Softmax) when asked. Initializers keep
// the book's names (W1, b1, gamma1, runningMean1 …) and layouts: an Affine is Gemm with the
// book's W (in × out, transB = 0), after a Flatten when its input is an image.
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { writeFileAtomic } from '../io/atomic';
import type { Sequential } from '../networks/sequential';
import { exportPlan, type ExportPlan, type ExportStep, type ExportTensor, type Pads } from './plan';

/** The operator set the exported graph uses. */
export const ONNX_OPSET = 13;
/** ONNX IR version 7 goes with opset 13 (ONNX 1.8). */
export const ONNX_IR_VERSION = 7;

export interface OnnxExportOptions {
  /** Also output 'probabilities', the softmax of the logits (default false: logits only). */
  softmax?: boolean;
  /** The graph's name (default 'scratchnet'). */
  graphName?: string;
  /** Free text stored as the model's doc_string (e.g. where the parameters came from). */
  docString?: string;
}

/** What was written, for messages and scripts. */
export interface OnnxExportInfo {
  path?: string;
  bytes: number;
  opset: number;
  irVersion: number;
  input: { name: string; shape: Array<number | string> };
  outputs: Array<{ name: string; shape: Array<number | string> }>;
  /** Parameter and running-average values stored. */
  parameterCount: number;
  /** The ONNX operators used, in graph order without repeats. */
  operators: string[];
}

const BATCH = 'batch';

type Onnx = typeof OnnxNamespace;

let onnxModule: Onnx | null = null;

/** onnx-proto is loaded on first use, so `require('scratchnet')` does not pay for protobufjs. */
function onnxProto(): Onnx {
  onnxModule ??= (require('onnx-proto') as { onnx: Onnx }).onnx;
  return onnxModule;
}

/** Encodes `net` as an ONNX model (the bytes of a .onnx file). */
export function encodeOnnx(net: Sequential, options: OnnxExportOptions = {}): { bytes: Uint8Array; info: OnnxExportInfo } {
  checkOptions('encodeOnnx', options);
  const plan = exportPlan(net, 'exportOnnx');
  const onnx = onnxProto();
  const g = new GraphBuilder(onnx);
  let current = 'input';
  for (const step of plan.steps) current = emitStep(g, step, current);
  // The last value is renamed 'logits'; a network whose last layers compute nothing (a Flatten
  // of a vector) gets an Identity so that the output still has its own name.
  if (!g.renameLast(current, 'logits')) g.node('Identity', 'Output', [current], 'logits', {});
  const outputs = [{ name: 'logits', shape: [BATCH, plan.classes] as Array<number | string> }];
  if (options.softmax) {
    g.node('Softmax', 'Softmax', ['logits'], 'probabilities', { axis: g.int(1) }, 'the softmax of the logits over the classes');
    outputs.push({ name: 'probabilities', shape: [BATCH, plan.classes] });
  }
  const input = { name: 'input', shape: [BATCH, ...plan.inputShape] as Array<number | string> };
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    producerName: 'scratchnet',
    producerVersion: plan.producerVersion,
    docString: options.docString ?? '',
    graph: onnx.GraphProto.create({
      name: options.graphName ?? 'scratchnet',
      docString: describeGraph(plan, options),
      node: g.nodes,
      initializer: g.initializers,
      input: [g.valueInfo(input.name, input.shape)],
      output: outputs.map((o) => g.valueInfo(o.name, o.shape)),
      valueInfo: g.intermediate.filter((v) => v.name !== 'logits'),
    }),
    metadataProps: [
      { key: 'scratchnet.model', value: JSON.stringify(net.toConfig()) },
      { key: 'scratchnet.input', value: `float32 (batch, ${plan.inputShape.join(', ')}), scaled as in training (scratchnet's loadMnist: byte / 255)` },
    ].map((p) => onnx.StringStringEntryProto.create(p)),
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  return {
    bytes,
    info: {
      bytes: bytes.length, opset: ONNX_OPSET, irVersion: ONNX_IR_VERSION, input, outputs,
      parameterCount: plan.parameterCount, operators: [...new Set(g.nodes.map((n) => n.opType as string))],
    },
  };
}

/** Writes `net` as an ONNX model to `file` (atomically: a reader never sees half a file). */
export function exportOnnx(net: Sequential, file: string, options: OnnxExportOptions = {}): OnnxExportInfo {
  if (typeof file !== 'string' || file === '') {
    throw new TypeError(`exportOnnx: the output path must be a non-empty string (e.g. 'model.onnx'), received ${JSON.stringify(file)}.`);
  }
  const { bytes, info } = encodeOnnx(net, options);
  writeFileAtomic(file, bytes);
  return { ...info, path: file };
}

function checkOptions(where: string, options: OnnxExportOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object, received ${JSON.stringify(options)}.`);
  const allowed = ['softmax', 'graphName', 'docString'];
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new TypeError(`${where}: unknown option '${k}'. Allowed options: ${allowed.join(', ')}.`);
  }
  if (options.softmax !== undefined && typeof options.softmax !== 'boolean') {
    throw new TypeError(`${where}: softmax must be true or false, received ${JSON.stringify(options.softmax)}.`);
  }
  for (const k of ['graphName', 'docString'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'string') throw new TypeError(`${where}: ${k} must be a string, received ${JSON.stringify(options[k])}.`);
  }
}

function describeGraph(plan: ExportPlan, options: OnnxExportOptions): string {
  const layers = plan.steps.map((s) => s.name).join(' → ');
  return `scratchnet ${plan.producerVersion}: ${layers}. Input 'input' (batch, ${plan.inputShape.join(', ')}); ` +
    `output 'logits' (batch, ${plan.classes})${options.softmax ? ` and 'probabilities' (their softmax)` : ''}.`;
}

/** The nodes of one layer; returns the name of the value it outputs. */
function emitStep(g: GraphBuilder, s: ExportStep, x: string): string {
  const shape = [BATCH, ...s.outputShape];
  const doc = `${s.name}: ${s.layer.kind}${s.layer.describe() ? ` (${s.layer.describe()})` : ''}`;
  switch (s.op) {
    case 'conv':
      return g.node('Conv', s.name, [x, g.weight(s.W), g.weight(s.b)], s.name, {
        kernel_shape: g.ints([s.kh, s.kw]), strides: g.ints([s.stride, s.stride]), pads: g.ints(onnxPads(s.pads)),
        dilations: g.ints([1, 1]), group: g.int(1),
      }, doc, shape);
    case 'maxpool':
      // ONNX's MaxPool, as scratchnet's, never lets a padded cell win.
      return g.node('MaxPool', s.name, [x], s.name, {
        kernel_shape: g.ints([s.kh, s.kw]), strides: g.ints([s.stride, s.stride]), pads: g.ints(onnxPads(s.pads)), ceil_mode: g.int(0),
      }, doc, shape);
    case 'relu':
      return g.node('Relu', s.name, [x], s.name, {}, doc, shape);
    case 'sigmoid':
      return g.node('Sigmoid', s.name, [x], s.name, {}, doc, shape);
    case 'flatten':
      return s.identity ? x : g.node('Flatten', s.name, [x], s.name, { axis: g.int(1) }, doc, shape);
    case 'affine': {
      const a = s.flattenInput
        ? g.node('Flatten', `${s.name}/Flatten`, [x], `${s.name}/flat`, { axis: g.int(1) }, `${s.name} flattens its input (the book's Affine reshapes x to (n, ${s.inFeatures}))`, [BATCH, s.inFeatures])
        : x;
      return g.node('Gemm', s.name, [a, g.weight(s.W), g.weight(s.b)], s.name, {
        alpha: g.float(1), beta: g.float(1), transA: g.int(0), transB: g.int(0),
      }, `${doc}: x·W + b with W (${s.inFeatures}, ${s.units})`, shape);
    }
    case 'batchnorm': {
      // Per-feature statistics on anything but a vector: flatten, normalise, put the shape back.
      const reshape = s.mode === 'feature' && s.inputShape.length !== 1;
      const a = reshape
        ? g.node('Flatten', `${s.name}/Flatten`, [x], `${s.name}/flat`, { axis: g.int(1) }, `${s.name} normalises per feature of the flattened sample`, [BATCH, s.features])
        : x;
      const bnOut = reshape ? `${s.name}/normalized` : s.name;
      const y = g.node('BatchNormalization', s.name, [a, g.weight(s.gamma), g.weight(s.beta), g.weight(s.mean), g.weight(s.variance)], bnOut, {
        epsilon: g.float(s.eps), momentum: g.float(s.momentum),
      }, `${doc}: inference mode, with the running mean and variance`, reshape ? [BATCH, s.features] : shape);
      if (!reshape) return y;
      const target = g.int64Constant(`${s.name}/shape`, [-1, ...s.outputShape]);
      return g.node('Reshape', `${s.name}/Reshape`, [y, target], s.name, {}, `${s.name} restores the sample shape`, shape);
    }
    case 'dropout':
      // The book's dropout is not inverted: inference multiplies by (1 − ratio). ONNX's Dropout
      // is the identity at inference, which would give other scores, so a Mul it is.
      if (s.scale === 1) return x;
      return g.node('Mul', s.name, [x, g.floatConstant(`${s.name}/scale`, s.scale)], s.name, {}, `${doc}: the book's inference scaling by 1 − ratio = ${s.scale}`, shape);
  }
}

/** ONNX orders pads as all the starts, then all the ends: [top, left, bottom, right]. */
function onnxPads(p: Pads): number[] {
  return [p.top, p.left, p.bottom, p.right];
}

type Attribute = OnnxNamespace.IAttributeProto;

/** Collects nodes, initializers and value infos, naming each value once. */
class GraphBuilder {
  readonly nodes: OnnxNamespace.INodeProto[] = [];
  readonly initializers: OnnxNamespace.ITensorProto[] = [];
  readonly intermediate: OnnxNamespace.IValueInfoProto[] = [];
  private readonly stored = new Set<string>();

  constructor(private readonly onnx: Onnx) {}

  node(opType: string, name: string, inputs: string[], output: string, attrs: Record<string, Attribute>, doc = '', shape?: Array<number | string>): string {
    const attribute = Object.entries(attrs).map(([k, a]) => this.onnx.AttributeProto.create({ ...a, name: k }));
    this.nodes.push(this.onnx.NodeProto.create({ opType, name, input: inputs, output: [output], attribute, docString: doc }));
    if (shape) this.intermediate.push(this.valueInfo(output, shape));
    return output;
  }

  /** Renames the value `from` to `to` when the last node produced it; false when it did not. */
  renameLast(from: string, to: string): boolean {
    const last = this.nodes[this.nodes.length - 1];
    if (!last || last.output![0] !== from) return false;
    last.output = [to];
    for (const v of this.intermediate) if (v.name === from) v.name = to;
    return true;
  }

  /** A parameter as an initializer under its book name (once, however often it is used). */
  weight(t: ExportTensor): string {
    if (!this.stored.has(t.name)) {
      this.stored.add(t.name);
      this.initializers.push(this.onnx.TensorProto.create({
        name: t.name, dims: t.shape, dataType: this.onnx.TensorProto.DataType.FLOAT, rawData: float32LE(t.data),
      }));
    }
    return t.name;
  }

  floatConstant(name: string, value: number): string {
    return this.weight({ name, shape: [], data: Float32Array.of(value) });
  }

  int64Constant(name: string, values: number[]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push(this.onnx.TensorProto.create({ name, dims: [values.length], dataType: this.onnx.TensorProto.DataType.INT64, rawData: raw }));
    return name;
  }

  valueInfo(name: string, shape: Array<number | string>): OnnxNamespace.IValueInfoProto {
    return this.onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: this.onnx.TensorProto.DataType.FLOAT,
          shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  }

  int(i: number): Attribute {
    return { type: this.onnx.AttributeProto.AttributeType.INT, i };
  }

  ints(ints: number[]): Attribute {
    return { type: this.onnx.AttributeProto.AttributeType.INTS, ints };
  }

  float(f: number): Attribute {
    return { type: this.onnx.AttributeProto.AttributeType.FLOAT, f };
  }
}

/** ONNX raw_data is little-endian whatever the host. */
function float32LE(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
