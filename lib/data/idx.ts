// The idx format of the original MNIST files (http://yann.lecun.com/exdb/mnist/):
//   magic: 0x00 0x00 <type> <number of dimensions>, then each dimension as a big-endian u32,
//   then the data, row-major. We read it raw or gzipped and hand back a view of the bytes
//   (no copy), because 47 MB of training pixels are cheap as bytes and costly as floats.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { writeFileAtomic } from '../io/atomic';
import { bufferTooLarge, formatBytes } from '../tensor/memory';

/** idx element types (third magic byte). Only unsigned bytes are used by MNIST-like data. */
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short (2 bytes)',
  0x0c: 'int (4 bytes)',
  0x0d: 'float (4 bytes)',
  0x0e: 'double (8 bytes)',
};

export interface IdxArray {
  /** Dimensions from the header, e.g. [60000, 28, 28] for images or [60000] for labels. */
  dims: number[];
  /** The data, one byte per element, row-major (a view into the file buffer). */
  data: Uint8Array;
}

export interface ReadIdxOptions {
  /** Expected number of dimensions (3 for images, 1 for labels); checked against the magic. */
  ndims?: number;
  /** What the file should hold, used in messages ('images', 'labels'). */
  role?: string;
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Bytes per element of each idx type (an unknown type is refused by parseIdx). */
const IDX_ELEMENT_BYTES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };
/** Compressed bytes decoded to read the header: enough for any gzip header and 255 dimensions, and at most ~4 MB of output. */
const HEADER_PROBE = 4096;
/** Deflate expands at most ~1032:1; a header declaring more than that cannot be complete. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * How many bytes the file may decompress to: what its idx header declares (header + data).
 * A 2.3 MB .gz can inflate to gigabytes; decompressing without this cap took 2.35 GB and ended
 * in SIGSEGV under `ulimit -v`. Only a prefix is decoded to read the header.
 */
function gunzipCap(file: string, raw: Buffer): number {
  let head: Buffer;
  try {
    head = zlib.gunzipSync(raw.subarray(0, Math.min(raw.length, HEADER_PROBE)), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return 0; // the full decompression below reports the corruption
  }
  // Not an idx header: decode no more than the probe, parseIdx then says what is wrong with it.
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || !(head[2] in IDX_ELEMENT_BYTES)) return Math.max(head.length, 4);
  const ndims = head[3];
  const headerLen = 4 + 4 * ndims;
  if (ndims === 0 || head.length < headerLen) return Math.max(head.length, headerLen);
  let total = IDX_ELEMENT_BYTES[head[2]];
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const d = head.readUInt32BE(4 + 4 * i);
    dims.push(d);
    total *= d;
  }
  total += headerLen;
  const declared = `its idx header declares ${dims.join('×')} elements (${formatBytes(total)})`;
  if (total > raw.length * MAX_DEFLATE_RATIO + HEADER_PROBE) {
    throw new Error(`${file}: ${declared}, more than a ${formatBytes(raw.length)} gzip file can hold; the file is truncated or its header is corrupt. Replace it with a complete copy.`);
  }
  const tooLarge = bufferTooLarge(total, 1);
  if (tooLarge !== null) {
    throw new Error(`${file}: ${declared}: ${tooLarge}. Fix: use a smaller file (or split the data).`);
  }
  return total;
}

/** Decompresses when the file starts with the gzip magic 1f 8b; otherwise returns the bytes as they are. */
function maybeGunzip(file: string, raw: Buffer): Buffer {
  // The magic decides, not the name: a server may have decompressed a .gz transparently.
  if (!isGzip(raw)) return raw;
  const cap = gunzipCap(file, raw);
  try {
    return zlib.gunzipSync(raw, cap > 0 ? { maxOutputLength: cap } : {});
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(
        `${file}: the file decompresses to more than the ${formatBytes(cap)} its idx header declares (stopped there); ` +
          `the header and the data disagree — the file is corrupt or not what it claims. Replace it with a fresh copy.`,
      );
    }
    throw new Error(
      `${file}: the file is gzip-compressed but could not be decompressed (${(err as Error).message}); ` +
        `it is probably truncated or corrupt — replace it with a fresh copy.`,
    );
  }
}

/** Parses idx bytes already in memory; `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, opts: ReadIdxOptions = {}): IdxArray {
  const roleText = opts.role ? ` (${opts.role})` : '';
  const expectedMagic = opts.ndims !== undefined ? 0x0800 + opts.ndims : undefined;
  if (bytes.length < 4) {
    throw new Error(
      `${file}: the file has ${bytes.length} bytes, too short for the 4-byte idx magic number; it is not an idx file (empty or truncated download?).`,
    );
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const expect = expectedMagic !== undefined ? `magic ${hex32(expectedMagic)}${roleText}` : 'a magic number starting 0x0000';
    throw new Error(
      `${file}: expected ${expect} but found ${hex32(magic)}; this is not an idx file ` +
        `(an HTML error page, another archive format, or the wrong file?).`,
    );
  }
  const type = bytes[2];
  const ndims = bytes[3];
  if (type !== 0x08) {
    const name = IDX_TYPES[type];
    throw new Error(
      `${file}: idx element type 0x${type.toString(16).padStart(2, '0')} ` +
        (name ? `(${name}) is not supported` : `is not a valid idx type`) +
        `; only 0x08 (unsigned byte) is, as in MNIST. Convert the data to unsigned bytes, or load it as floats yourself and use ImageSet.fromTensor.`,
    );
  }
  if (opts.ndims !== undefined && ndims !== opts.ndims) {
    throw new Error(
      `${file}: expected magic ${hex32(expectedMagic!)}${roleText}, i.e. ${opts.ndims} dimension${opts.ndims === 1 ? '' : 's'}, ` +
        `but found ${hex32(magic)} (${ndims} dimension${ndims === 1 ? '' : 's'}); are the images and labels files swapped?`,
    );
  }
  if (ndims === 0) {
    throw new Error(`${file}: the idx header declares 0 dimensions; an idx file needs at least one.`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new Error(
      `${file}: the header declares ${ndims} dimensions (${headerLen} header bytes) but the file has only ${bytes.length} bytes (truncated?).`,
    );
  }
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < ndims; i++) {
    const o = 4 + 4 * i;
    const d = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    dims.push(d);
    total *= d;
  }
  const have = bytes.length - headerLen;
  const dimsText = `${dims.join('×')}${ndims > 1 ? ` = ${total}` : ''}`;
  if (have < total) {
    throw new Error(
      `${file}: header says ${dimsText} bytes of data but the file has ${have} (truncated?). Replace it with a complete copy.`,
    );
  }
  if (have > total) {
    throw new Error(
      `${file}: header says ${dimsText} bytes of data but the file has ${have} (${have - total} extra bytes after the data); ` +
        `the header and the data disagree — the file is corrupt or was written incorrectly.`,
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

/** Reads an idx file, raw or gzip (by `.gz` name or the 1f 8b magic). The returned data views the file buffer. */
export function readIdx(file: string, opts: ReadIdxOptions = {}): IdxArray {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'ENOENT'
        ? `${file}: no such file${opts.role ? ` (expected the ${opts.role} idx file)` : ''}.`
        : `${file}: could not read the file: ${e.message}`,
    );
  }
  const bytes = maybeGunzip(file, raw);
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, opts);
}

export interface WriteIdxOptions {
  /** Compress with gzip (independently of the file name). */
  gzip?: boolean;
}

/** Encodes unsigned-byte data as idx (header + data). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > 255) {
    throw new RangeError(`writeIdx: an idx file has 1 to 255 dimensions, received ${dims.length}.`);
  }
  let total = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new RangeError(`writeIdx: dimensions must be integers in [0, 2³²), received [${dims.join(', ')}].`);
    }
    total *= d;
  }
  if (data.length !== total) {
    throw new RangeError(
      `writeIdx: dimensions ${dims.join('×')} need ${total} bytes of data but ${data.length} were given.`,
    );
  }
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/** Writes an idx file of unsigned bytes atomically, optionally gzipped. */
export function writeIdx(file: string, dims: readonly number[], data: Uint8Array, opts: WriteIdxOptions = {}): void {
  const encoded = encodeIdx(dims, data);
  writeFileAtomic(file, opts.gzip ? zlib.gzipSync(encoded) : encoded);
}
