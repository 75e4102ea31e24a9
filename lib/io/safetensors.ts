// safetensors (https://github.com/huggingface/safetensors), so parameters move between
// scratchnet, PyTorch and NumPy:
//   8 bytes   N, the header length, unsigned little-endian 64-bit
//   N bytes   JSON: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
//                     "__metadata__": { "<key>": "<string>" } }   (offsets relative to the data)
//   the data  little-endian, row-major, tensors back to back with no gaps
// Nothing in a file is trusted: every length and offset is checked before it is used.
import * as fs from 'fs';
import type { FloatArray } from '../backend/types';
import { Tensor } from '../tensor/tensor';
import { formatShape, sizeOf } from '../tensor/shape';
import { writeFileAtomic, AtomicWriteOptions } from './atomic';

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  /** The "__metadata__" string map ({} when absent). */
  metadata: Record<string, string>;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Refuse absurd headers before decoding them (the reference implementation caps at 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

type Reader = (view: DataView, byteOffset: number) => number;
interface DTypeInfo { size: number; float64: boolean; read: Reader; }

// Integer dtypes are accepted so metadata-free files from other tools load; they become floats
// (exactly: small integers into float32, 32/64-bit integers into float64 within 2⁵³).
const DTYPES: Record<string, DTypeInfo> = {
  F32: { size: 4, float64: false, read: (v, o) => v.getFloat32(o, true) },
  F64: { size: 8, float64: true, read: (v, o) => v.getFloat64(o, true) },
  U8: { size: 1, float64: false, read: (v, o) => v.getUint8(o) },
  I8: { size: 1, float64: false, read: (v, o) => v.getInt8(o) },
  I16: { size: 2, float64: false, read: (v, o) => v.getInt16(o, true) },
  U16: { size: 2, float64: false, read: (v, o) => v.getUint16(o, true) },
  I32: { size: 4, float64: true, read: (v, o) => v.getInt32(o, true) },
  U32: { size: 4, float64: true, read: (v, o) => v.getUint32(o, true) },
  I64: { size: 8, float64: true, read: (v, o) => Number(v.getBigInt64(o, true)) },
  U64: { size: 8, float64: true, read: (v, o) => Number(v.getBigUint64(o, true)) },
};

// The dtype each loaded tensor had in its file: an I32 tensor loads into a Float64Array, and a
// message must say I32, not F64. Weak, so the tensors are freed as usual.
const fileDtypes = new WeakMap<Tensor, string>();

/** The safetensors dtype ('F32', 'I32' …) a tensor was read as, or undefined when it was not loaded from a file. */
export function storedDtype(t: Tensor): string | undefined {
  return fileDtypes.get(t);
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

interface Entry { name: string; dtype: string; shape: number[]; begin: number; end: number; }

/** Parses a safetensors file held in memory. `nameForErrors` (usually the path) starts every message. */
export function parseSafetensors(buffer: Uint8Array, nameForErrors: string): SafetensorsFile {
  const file = nameForErrors;
  const fail = (msg: string): never => { throw new SafetensorsError(`${file}: ${msg}`); };
  if (buffer.length < 8) {
    fail(`the file has ${buffer.length} bytes, too short for the 8-byte header length; it is not a safetensors file (truncated?).`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(buffer.length - 8)) {
    fail(
      `the header length field says ${headerLen64} bytes but only ${buffer.length - 8} follow it ` +
        `(truncated file, or not a safetensors file).`,
    );
  }
  const headerLen = Number(headerLen64);
  if (headerLen > MAX_HEADER_BYTES) fail(`the header is ${headerLen} bytes, over the ${MAX_HEADER_BYTES}-byte limit; refusing to parse it.`);
  if (headerLen < 2) fail(`the header is ${headerLen} bytes, too short to hold a JSON object.`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + headerLen)));
  } catch (err) {
    fail(`the ${headerLen}-byte header is not valid UTF-8 JSON (${(err as Error).message}); the file is corrupt.`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`the header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}.`);
  }

  const dataStart = 8 + headerLen;
  const dataLen = buffer.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`"__metadata__" must be an object of strings.`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__"["${k}"] must be a string, found ${JSON.stringify(v)}.`);
        metadata[k] = v as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${where}: expected {dtype, shape, data_offsets}, found ${JSON.stringify(raw)}.`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`${where}: "dtype" must be a string, found ${JSON.stringify(dtype)}.`);
    const info = DTYPES[dtype as string];
    if (!info) {
      fail(
        `${where} has dtype ${dtype}, which scratchnet cannot load (supported: ${Object.keys(DTYPES).join(', ')}). ` +
          `Convert it to F32 before saving (e.g. tensor.float() in PyTorch, astype(np.float32) in NumPy).`,
      );
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`${where}: "shape" must be a list of non-negative integers, found ${JSON.stringify(shape)}.`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`${where}: "data_offsets" must be [begin, end] with non-negative integers, found ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin.`);
    if (end > dataLen) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] are out of range: the data section has ${dataLen} bytes ` +
          `(truncated file, or a corrupt header).`,
      );
    }
    const expected = sizeOf(shape as number[]) * info!.size;
    if (end - begin !== expected) {
      fail(
        `${where}: shape ${formatShape(shape as number[])} of ${dtype} needs ${expected} bytes ` +
          `but data_offsets [${begin}, ${end}] span ${end - begin}.`,
      );
    }
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }

  // The data must be exactly the tensors, back to back: no overlaps (two tensors aliasing the
  // same bytes), no gaps, no trailing bytes — anything else means a corrupt or foreign file.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of byOffset) {
    if (e.begin < pos) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev!.name}" [${prev!.begin}, ${prev!.end}].`);
    }
    if (e.begin > pos) {
      fail(
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - pos} bytes after ` +
          (prev ? `tensor "${prev.name}" (ending at ${pos})` : 'the start of the data') + '; tensors must be contiguous.',
      );
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) {
    fail(
      `${dataLen - pos} trailing bytes after the last tensor` + (prev ? ` ("${prev.name}", ending at ${pos})` : '') +
        `; the data section has ${dataLen} bytes (corrupt file, or written by a broken tool).`,
    );
  }

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const info = DTYPES[e.dtype];
    const n = sizeOf(e.shape);
    const out: FloatArray = info.float64 ? new Float64Array(n) : new Float32Array(n);
    const src = dataStart + e.begin;
    if (HOST_LITTLE_ENDIAN && (e.dtype === 'F32' || e.dtype === 'F64')) {
      // Same byte order as the file: a straight copy into the (aligned) new array.
      new Uint8Array(out.buffer).set(buffer.subarray(src, src + (e.end - e.begin)));
    } else {
      // Other dtypes, or a big-endian host: DataView reads little-endian explicitly.
      for (let i = 0; i < n; i++) {
        const v = info.read(view, src + i * info.size);
        if (!Number.isSafeInteger(v) && (e.dtype === 'I64' || e.dtype === 'U64')) {
          fail(`tensor "${e.name}" (${e.dtype}): element ${i} does not fit a double exactly; convert the tensor to F64 first.`);
        }
        out[i] = v;
      }
    }
    const t = new Tensor(out, [...e.shape]);
    fileDtypes.set(t, e.dtype);
    tensors[e.name] = t;
  }
  return { tensors, metadata };
}

/** Reads and validates a safetensors file. F32 loads as Float32Array, F64 as Float64Array. */
export function loadSafetensors(file: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SafetensorsError(e.code === 'ENOENT' ? `${file}: no such file.` : `${file}: could not read the file: ${e.message}`);
  }
  return parseSafetensors(buf, file);
}

/**
 * Encodes tensors (sorted by name) and optional string metadata as safetensors bytes: the chunks
 * to write back to back. Tensor data is referenced, not copied, on little-endian hosts.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>, where = 'saveSafetensors'): Uint8Array[] {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new TypeError(`${where}: metadata["${k}"] must be a string (safetensors metadata is a string map); use JSON.stringify for structured values.`);
      }
    }
    if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (name === '' || name === '__metadata__') {
      throw new RangeError(`${where}: "${name}" cannot be a tensor name (empty or reserved by the format).`);
    }
    if (!(t instanceof Tensor)) {
      throw new TypeError(`${where}: tensors["${name}"] is not a Tensor.`);
    }
    let dtype: string;
    if (t.data instanceof Float32Array) dtype = 'F32';
    else if (t.data instanceof Float64Array) dtype = 'F64';
    else throw new TypeError(`${where}: tensor "${name}" holds neither a Float32Array nor a Float64Array.`);
    if (t.data.length !== sizeOf(t.shape)) {
      throw new RangeError(`${where}: tensor "${name}" has shape ${formatShape(t.shape)} but ${t.data.length} values.`);
    }
    const bytes = t.data.byteLength;
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
    if (HOST_LITTLE_ENDIAN) {
      chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, bytes));
    } else {
      const le = new Uint8Array(bytes);
      const dv = new DataView(le.buffer);
      const step = dtype === 'F32' ? 4 : 8;
      for (let i = 0; i < t.data.length; i++) {
        if (step === 4) dv.setFloat32(i * 4, t.data[i], true);
        else dv.setFloat64(i * 8, t.data[i], true);
      }
      chunks.push(le);
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned (as the reference implementation does).
  const padded = Math.ceil(json.length / 8) * 8;
  const headerBytes = new Uint8Array(8 + padded).fill(0x20);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(padded), true);
  headerBytes.set(json, 8);
  return [headerBytes, ...chunks];
}

/** Writes tensors as safetensors atomically (F32 for Float32Array data, F64 for Float64Array). */
export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>,
  options?: AtomicWriteOptions): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata), options);
}
