// Networks: Sequential (shapes inferred layer by layer) and the book's presets.
export { Sequential, gradientCheck } from './sequential';
export type {
  SequentialOptions, NetworkOptions, LabelsLike, InputsLike, ModelConfig, NonFiniteReport, GradientCheckEntry, KinkReport,
} from './sequential';
export {
  SimpleConvNet, ConvNet1FC, LeNet5, DeepConvNet, MultiLayerNet, MultiLayerNetExtend, TwoLayerNet, createPreset, presetNames,
} from './presets';
export type {
  ConvParam, Activation, SimpleConvNetOptions, ConvNet1FCOptions, LeNet5Options, DeepConvNetOptions,
  MultiLayerNetOptions, MultiLayerNetExtendOptions, TwoLayerNetOptions, PresetName,
} from './presets';
export { gemmFlops } from './flops';
export type { GemmFlops, LayerFlops } from './flops';
