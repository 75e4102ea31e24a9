// scratchnet's public API: each name listed on purpose, grouped as README's API table is. What is
// not here (buffer caches, the drawing canvas, the checking helpers, the kernels' argument
// checks) is internal and may change without notice.

// backend
export { getBackend, setBackend, resolveBackend, nativeStatus, loadNative, referenceBackend } from './backend/index';
export type { Backend, BackendName } from './backend/index';
export type { FloatArray, ConvGeometry, PoolGeometry, BatchNormGeometry, Labels } from './backend/types';

// tensors and shapes
export { Tensor } from './tensor/tensor';
export type { DType } from './tensor/tensor';
export { Rng } from './tensor/rng';
export { ShapeError, convGeometry, poolGeometry, formatShape, resolvePadding, unusedInputs } from './tensor/shape';
export type { Padding } from './tensor/shape';

// layers
export {
  Layer, initStd, Convolution, Pooling, Affine, Relu, Sigmoid, Dropout, BatchNormalization, Flatten, SoftmaxWithLoss,
  ConvReluPool, ConvRelu, layerFromConfig, layerTypes,
} from './layers/index';
export type {
  BuildContext, WeightInit, LayerConfig, ConvolutionOptions, PoolingOptions, AffineOptions, DropoutOptions, DropoutState,
  BatchNormalizationOptions, SoftmaxWithLossOptions,
} from './layers/index';

// optimizers
export {
  Optimizer, SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, createOptimizer, optimizerFromState, optimizerNames,
  optimizerClassNames,
} from './optimizers/index';
export type {
  OptimizerName, OptimizerOptions, OptimizerState, SGDOptions, MomentumOptions, NesterovOptions, AdaGradOptions, RMSpropOptions, AdamOptions,
} from './optimizers/index';

// networks
export {
  Sequential, gradientCheck, SimpleConvNet, ConvNet1FC, LeNet5, DeepConvNet, MultiLayerNet, MultiLayerNetExtend, TwoLayerNet,
  createPreset, presetNames, resolveModel, isPresetName, gemmFlops,
} from './networks/index';
export type {
  SequentialOptions, NetworkOptions, LabelsLike, InputsLike, ModelConfig, NonFiniteReport, GradientCheckEntry, KinkReport,
  ConvParam, Activation, SimpleConvNetOptions, ConvNet1FCOptions, LeNet5Options, DeepConvNetOptions,
  MultiLayerNetOptions, MultiLayerNetExtendOptions, TwoLayerNetOptions, PresetName, ModelSpec, ResolvedModel, ResolveOptions,
  GemmFlops, LayerFlops,
} from './networks/index';

// data
export { ImageSet, LabelSet, loadMnist, loadMnistSubset, loadIdxDataset, readIdx, writeIdx, parseIdx, encodeIdx } from './data/index';
export type { IdxArray, ReadIdxOptions, WriteIdxOptions, MnistOptions, MnistData, MnistSubsetOptions, SubsetNames, IdxDatasetOptions } from './data/index';
export { Augmenter, checkAugmentOptions, parseAugmentSpec, formatAugment, gaussianTaps } from './data/index';
export type { AugmentOptions, AugmentSettings, ElasticOptions } from './data/index';

// io
export {
  writeFileAtomic, saveSafetensors, loadSafetensors, parseSafetensors, encodeSafetensors, SafetensorsError,
  saveCheckpoint, loadCheckpoint,
} from './io/index';
export type { AtomicWriteOptions, SafetensorsFile, Checkpoint } from './io/index';

// training
export { Trainer, trainInWorker, TrainingJob } from './train/index';
export type {
  TrainerOptions, TrainingHistory, BatchInfo, EpochInfo, Sampling, TrainInWorkerOptions, WorkerTrainingResult,
  WorkerReadyInfo, PresetSpec, WorkerDataSpec, WorkerModelSpec, WorkerTrainerOptions,
} from './train/index';

// pictures
export {
  plotTrainingCurves, plotTrainingCurvesToFile, plotFilters, plotFiltersToFile, plotMisclassified, plotMisclassifiedToFile,
  misclassifiedIndices, plotFigure, plotFigureToFile, smoothCurve, histogram,
} from './plot/index';
export type {
  CurvesHistory, CurvesOptions, Picture, FiltersOptions, ImageSource, MisclassifiedOptions, FigureSpec, FigurePanel, Series, Bars, MarkerShape,
} from './plot/index';

// export to ONNX and PyTorch
export { exportOnnx, encodeOnnx, ONNX_OPSET, ONNX_IR_VERSION, exportPyTorch, pytorchModuleSource, exportableLayers } from './export/index';
export type { OnnxExportOptions, OnnxExportInfo, PyTorchExportOptions, PyTorchExportInfo } from './export/index';
