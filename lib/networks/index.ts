// Networks: Sequential (shapes inferred layer by layer), what it takes and writes (inputs, labels,
// model descriptions), its diagnostics (non-finite values, the gradient check), the book's presets
// and the one model resolver (preset names, { preset, options }, configs).
export { Sequential } from './sequential';
export type { SequentialOptions, NetworkOptions } from './sequential';
export type { ModelConfig } from './model-file';
export type { InputsLike } from './inputs';
export type { LabelsLike } from './labels';
export type { NonFiniteReport } from './finite';
export { gradientCheck } from './gradient-check';
export type { GradientCheckEntry, KinkReport } from './gradient-check';
export { SimpleConvNet, ConvNet1FC, LeNet5, DeepConvNet, MultiLayerNet, MultiLayerNetExtend, TwoLayerNet } from './presets';
export type {
  ConvParam, Activation, SimpleConvNetOptions, ConvNet1FCOptions, LeNet5Options, DeepConvNetOptions,
  MultiLayerNetOptions, MultiLayerNetExtendOptions, TwoLayerNetOptions,
} from './presets';
export { createPreset, presetNames, resolveModel, isPresetName } from './resolve';
export type { PresetName, PresetSpec, ModelSpec, ResolvedModel, ResolveOptions } from './resolve';
export { gemmFlops } from './flops';
export type { GemmFlops, LayerFlops } from './flops';
