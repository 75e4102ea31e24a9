// One answer to "which network?" for every entry point: createPreset, trainInWorker's model and
// the CLI's --model all name a network as a preset — by its command-line name ('lenet5') or the
// book's class name ('LeNet5'), with constructor options — or describe it as a Sequential config
// ({ inputShape, layers }, what toConfig and a model file hold). Each caller only adds what is
// its own (the CLI reads model files).
import { describeValue, suggest } from '../check';
import {
  ConvNet1FC, DeepConvNet, LeNet5, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, TwoLayerNet,
} from './presets';
import { Sequential, type ModelConfig, type NetworkOptions } from './sequential';

/** Preset names as the CLI spells them. */
export const presetNames = ['simple-convnet', 'conv-1fc', 'lenet5', 'deep-convnet', 'two-layer-net'] as const;
export type PresetName = (typeof presetNames)[number];

/** A preset by CLI name ('simple-convnet') or book class name ('SimpleConvNet'), with its constructor options. */
export interface PresetSpec {
  preset: string;
  options?: Record<string, unknown>;
}

/** A network: a preset name, a preset with options, or a Sequential config (toConfig / a model file). */
export type ModelSpec = string | PresetSpec | ModelConfig;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PresetClass = new (options: any) => Sequential;

const BY_CLI_NAME = new Map<string, PresetClass>([
  ['simple-convnet', SimpleConvNet], ['conv-1fc', ConvNet1FC], ['lenet5', LeNet5], ['deep-convnet', DeepConvNet], ['two-layer-net', TwoLayerNet],
]);
/** The book's class names; MultiLayerNet and MultiLayerNetExtend need their sizes as options. */
const BY_CLASS_NAME = new Map<string, PresetClass>([
  ['SimpleConvNet', SimpleConvNet], ['ConvNet1FC', ConvNet1FC], ['LeNet5', LeNet5], ['DeepConvNet', DeepConvNet], ['TwoLayerNet', TwoLayerNet],
  ['MultiLayerNet', MultiLayerNet], ['MultiLayerNetExtend', MultiLayerNetExtend],
]);

/** True for a preset's CLI name or book class name. */
export function isPresetName(name: unknown): name is string {
  return typeof name === 'string' && (BY_CLI_NAME.has(name) || BY_CLASS_NAME.has(name));
}

/** A network resolved from its description, not built yet. */
export interface ResolvedModel {
  /** The preset name as given, or 'model' for a config. */
  name: string;
  kind: 'preset' | 'config';
  /**
   * A fresh network. `options` (backend, seed …) are the caller's defaults: a preset spec's own
   * options win over them, so { preset: 'lenet5', options: { backend: 'reference' } } stays there.
   */
  build(options?: NetworkOptions): Sequential;
}

export interface ResolveOptions {
  /** Who asks, at the start of every error: 'createPreset', 'trainInWorker', 'scratchnet train'. */
  owner: string;
  /** What else the caller accepts, for the unknown-name error, e.g. 'a JSON file describing a Sequential stack (--model my-net.json)'. */
  otherwise?: string;
}

function withoutUndefined(o: object | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

function knownModels(): string {
  return `${presetNames.join(', ')} (or the book's class names ${[...BY_CLASS_NAME.keys()].join(', ')})`;
}

/** Resolves a model description; throws naming the owner, the known presets and a near miss. */
export function resolveModel(spec: ModelSpec, { owner, otherwise }: ResolveOptions): ResolvedModel {
  if (typeof spec === 'string') spec = { preset: spec };
  if (spec !== null && typeof spec === 'object' && 'layers' in spec) {
    const config = spec;
    return { name: 'model', kind: 'config', build: (options = {}) => Sequential.fromConfig(config, withoutUndefined(options)) };
  }
  const p = spec as PresetSpec;
  if (p === null || typeof p !== 'object' || typeof p.preset !== 'string') {
    throw new TypeError(`${owner}: model must be a preset name (${knownModels()}), { preset, options }, or a Sequential config { inputShape, layers }; received ${describeValue(spec)}.`);
  }
  const Preset = BY_CLI_NAME.get(p.preset) ?? BY_CLASS_NAME.get(p.preset);
  if (!Preset) {
    const near = suggest(p.preset, [...BY_CLI_NAME.keys(), ...BY_CLASS_NAME.keys()]);
    throw new TypeError(
      `${owner}: unknown model '${p.preset}'.${near ? ` Did you mean '${near}'?` : ''} Known models: ${knownModels()}` +
        `${otherwise ? `, or ${otherwise}` : ''}.`,
    );
  }
  const own = withoutUndefined(p.options);
  return { name: p.preset, kind: 'preset', build: (options = {}) => new Preset({ ...withoutUndefined(options), ...own }) };
}

/** A preset by its CLI name or class name, e.g. createPreset('lenet5', { seed: 1 }). */
export function createPreset(name: PresetName | string, options: NetworkOptions = {}): Sequential {
  if (typeof name !== 'string') {
    throw new TypeError(`createPreset: the name must be a string such as 'lenet5' (${knownModels()}), received ${describeValue(name)}; for a Sequential config use Sequential.fromConfig.`);
  }
  return resolveModel(name, { owner: 'createPreset', otherwise: 'a JSON model file for Sequential.fromConfig' }).build(options);
}
