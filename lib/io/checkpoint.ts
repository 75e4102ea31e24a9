// A checkpoint is a safetensors file (parameters, optimizer state, batch-norm statistics —
// whatever tensors the caller hands over) whose metadata carries one JSON document under
// "scratchnet": the format tag, its version and the caller's meta (epoch, iteration, RNG
// state, network and optimizer settings...). Being plain safetensors, it stays readable by
// any safetensors tool; the tag is what tells a checkpoint from a bare parameter file.
import { Tensor } from '../tensor/tensor';
import { AtomicWriteOptions } from './atomic';
import { loadSafetensors, saveSafetensors, SafetensorsError } from './safetensors';

export const CHECKPOINT_FORMAT = 'scratchnet-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** The __metadata__ key holding the checkpoint document. */
export const CHECKPOINT_METADATA_KEY = 'scratchnet';

export interface Checkpoint<M extends object = Record<string, unknown>> {
  tensors: Record<string, Tensor>;
  meta: M;
}

interface CheckpointDocument { format: string; version: number; meta: unknown; }

/** Saves tensors plus JSON-serialisable meta atomically: an interrupted save keeps the previous checkpoint. */
export function saveCheckpoint<M extends object>(file: string, checkpoint: Checkpoint<M>, options?: AtomicWriteOptions): void {
  const { tensors, meta } = checkpoint;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new TypeError(`saveCheckpoint(${file}): meta must be a plain object (it is stored as JSON).`);
  }
  let json: string;
  try {
    const doc: CheckpointDocument = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, meta };
    json = JSON.stringify(doc, (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new TypeError(`meta holds the non-finite number ${v}, which JSON cannot represent`);
      }
      if (typeof v === 'bigint') throw new TypeError('meta holds a BigInt, which JSON cannot represent; store it as a string');
      return v;
    });
  } catch (err) {
    throw new TypeError(`saveCheckpoint(${file}): meta is not JSON-serialisable: ${(err as Error).message}.`);
  }
  saveSafetensors(file, tensors, { [CHECKPOINT_METADATA_KEY]: json }, options);
}

/** Loads a checkpoint written by saveCheckpoint; a bare parameter file is rejected with a pointer to loadSafetensors. */
export function loadCheckpoint<M extends object = Record<string, unknown>>(file: string): Checkpoint<M> {
  const { tensors, metadata } = loadSafetensors(file);
  const raw = metadata[CHECKPOINT_METADATA_KEY];
  if (raw === undefined) {
    throw new SafetensorsError(
      `${file}: this is a plain parameter file (safetensors without scratchnet checkpoint metadata), not a checkpoint. ` +
        `Load it with loadSafetensors (or the network's loadParams) to get the weights; training cannot resume from it.`,
    );
  }
  let doc: CheckpointDocument;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new SafetensorsError(`${file}: the checkpoint metadata is not valid JSON (${(err as Error).message}); the file is corrupt.`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== CHECKPOINT_FORMAT) {
    throw new SafetensorsError(
      `${file}: expected checkpoint format "${CHECKPOINT_FORMAT}" but found ${JSON.stringify((doc as { format?: unknown } | null)?.format)}; ` +
        `not a scratchnet checkpoint.`,
    );
  }
  if (doc.version !== CHECKPOINT_VERSION) {
    throw new SafetensorsError(
      `${file}: checkpoint version ${JSON.stringify(doc.version)} is not supported (this scratchnet reads version ${CHECKPOINT_VERSION})` +
        (typeof doc.version === 'number' && doc.version > CHECKPOINT_VERSION ? '; it was written by a newer scratchnet — upgrade.' : '.'),
    );
  }
  if (typeof doc.meta !== 'object' || doc.meta === null || Array.isArray(doc.meta)) {
    throw new SafetensorsError(`${file}: the checkpoint's meta is not an object; the file is corrupt.`);
  }
  return { tensors, meta: doc.meta as M };
}
