export { writeFileAtomic, isAtomicTempName } from './atomic';
export type { AtomicWriteOptions } from './atomic';
export { saveSafetensors, loadSafetensors, parseSafetensors, encodeSafetensors, SafetensorsError } from './safetensors';
export type { SafetensorsFile } from './safetensors';
export { saveCheckpoint, loadCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_METADATA_KEY } from './checkpoint';
export type { Checkpoint } from './checkpoint';
