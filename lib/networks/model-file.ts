// The model description (the CLI's model file, the metadata of a parameter file, what a worker
// is sent): a network's input shape and its layers' configs as JSON, the stack and nothing
// learned. Read from a user's hand-written file, so every entry is checked and an error names
// the entry (layers[3] …) and what is wrong with it.
import { checkOptionKeys } from '../check';
import { layerFromConfig } from '../layers/index';
import type { Layer } from '../layers/layer';
import { checkInputShape } from './inputs';
import type { Sequential } from './sequential';

/** The JSON model description (the CLI's model-file format). */
export interface ModelConfig {
  format?: 'scratchnet-model';
  version?: number;
  inputShape: number[];
  weightDecayLambda?: number;
  layers: Array<{ type: string } & Record<string, unknown>>;
}

const CONFIG_KEYS = ['format', 'version', 'inputShape', 'weightDecayLambda', 'layers'];

/** Sequential.toConfig: inputShape + layer configs, and λ when it is not 0. */
export function modelConfig(net: Sequential): ModelConfig {
  const cfg: ModelConfig = {
    format: 'scratchnet-model',
    version: 1,
    inputShape: [...net.inputShape],
    layers: net.layers.map((l) => l.toConfig()),
  };
  if (net.weightDecayLambda !== 0) cfg.weightDecayLambda = net.weightDecayLambda;
  return cfg;
}

/**
 * A model description (an object or its JSON text) checked and read: the input shape, the layers
 * made from their configs (a trailing SoftmaxWithLoss entry is the loss and makes none), and λ.
 */
export function parseModelConfig(json: string | ModelConfig): { inputShape: number[]; layers: Layer[]; weightDecayLambda?: number } {
  let cfg: unknown = json;
  if (typeof json === 'string') {
    try {
      cfg = JSON.parse(json);
    } catch (e) {
      throw new SyntaxError(`Sequential.fromConfig: the model description is not valid JSON (${(e as Error).message}).`);
    }
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new TypeError(`Sequential.fromConfig: expected an object { inputShape: [...], layers: [...] }, received ${Array.isArray(cfg) ? 'an array' : typeof cfg}.`);
  }
  const c = cfg as Record<string, unknown>;
  checkOptionKeys('Sequential.fromConfig', c, CONFIG_KEYS);
  if (c.format !== undefined && c.format !== 'scratchnet-model') {
    throw new TypeError(`Sequential.fromConfig: format is ${JSON.stringify(c.format)}, expected 'scratchnet-model' (a model description, not a checkpoint or parameter file).`);
  }
  if (c.version !== undefined && c.version !== 1) {
    throw new TypeError(`Sequential.fromConfig: model description version ${JSON.stringify(c.version)} is not supported (this scratchnet reads version 1).`);
  }
  const inputShape = checkInputShape('Sequential.fromConfig', c.inputShape);
  if (!Array.isArray(c.layers) || c.layers.length === 0) {
    throw new TypeError(`Sequential.fromConfig: layers must be a non-empty array of layer descriptions such as { "type": "Affine", "units": 10 }, received ${JSON.stringify(c.layers)}.`);
  }
  const layers: Layer[] = [];
  c.layers.forEach((entry: unknown, i: number) => {
    const where = `Sequential.fromConfig: layers[${i}] ${JSON.stringify(entry)}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry) || typeof (entry as { type?: unknown }).type !== 'string') {
      throw new TypeError(`${where} must be an object with a string "type", e.g. { "type": "Relu" }.`);
    }
    const e = entry as { type: string } & Record<string, unknown>;
    if (e.type === 'SoftmaxWithLoss') {
      if (i !== (c.layers as unknown[]).length - 1) throw new TypeError(`${where}: SoftmaxWithLoss may only be the last entry.`);
      return;
    }
    try {
      layers.push(layerFromConfig(e) as Layer);
    } catch (err) {
      throw new TypeError(`${where}: ${(err as Error).message}`);
    }
  });
  return { inputShape, layers, weightDecayLambda: c.weightDecayLambda as number | undefined };
}
