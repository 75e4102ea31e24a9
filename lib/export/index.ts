// Models leave scratchnet: ONNX (any ONNX runtime) and PyTorch (a module definition and its state dict).
export { exportOnnx, encodeOnnx, ONNX_OPSET, ONNX_IR_VERSION } from './onnx';
export type { OnnxExportOptions, OnnxExportInfo } from './onnx';
export { exportPyTorch, pytorchModuleSource } from './pytorch';
export type { PyTorchExportOptions, PyTorchExportInfo } from './pytorch';
export { SUPPORTED_LAYERS as exportableLayers } from './plan';
