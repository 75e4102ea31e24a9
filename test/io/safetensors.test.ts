import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { saveSafetensors, loadSafetensors, parseSafetensors } from '../../lib/io/safetensors';
import { Tensor } from '../../lib/tensor/tensor';
import { tempDir, leftovers } from '../helpers/tmpdir';

/** A safetensors file written by hand from the specification: u64 LE header length, JSON, data. */
function handBuilt(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, json.length, true); // low 32 bits of the u64
  v.setUint32(4, 0, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function le32(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return b;
}

test('round trip: F32 and F64 tensors, shapes, metadata; names sorted; header padded to 8', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'params.safetensors');
  const W1 = Tensor.from([1.5, -2, 3.25, 0, 1e-8, -7], [2, 3]);
  const b1 = Tensor.from([0.1, 0.2], [2], 'float64');
  const scalar = Tensor.from([42], []);
  // A view into a larger array: only its own bytes may be written.
  const W2 = new Tensor(Float32Array.of(9, 9, 4, 5, 9).subarray(2, 4), [2]);
  saveSafetensors(file, { b1, W1, scalar, W2 }, { note: 'hello', epochs: '3' });
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  t.is(n % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  t.deepEqual(header.W1, { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  t.deepEqual(header.W2, { dtype: 'F32', shape: [2], data_offsets: [24, 32] });
  t.deepEqual(header.b1, { dtype: 'F64', shape: [2], data_offsets: [32, 48] });
  t.deepEqual(header.scalar, { dtype: 'F32', shape: [], data_offsets: [48, 52] });
  t.deepEqual(header.__metadata__, { note: 'hello', epochs: '3' });
  t.is(bytes.length, 8 + n + 52);
  const back = loadSafetensors(file);
  t.deepEqual(Object.keys(back.tensors).sort(), ['W1', 'W2', 'b1', 'scalar']);
  t.deepEqual([...back.tensors.W2.data], [4, 5]);
  t.true(back.tensors.W1.data instanceof Float32Array);
  t.true(back.tensors.b1.data instanceof Float64Array);
  t.deepEqual(back.tensors.W1.shape, [2, 3]);
  t.deepEqual([...back.tensors.W1.data], [...W1.data]);
  t.deepEqual([...back.tensors.b1.data], [0.1, 0.2]);
  t.deepEqual(back.tensors.scalar.shape, []);
  t.is(back.tensors.scalar.data[0], 42);
  t.deepEqual(back.metadata, { note: 'hello', epochs: '3' });
  t.deepEqual(leftovers(dir), []);
});

test('a file built by hand from the specification loads (unpadded header, integer dtypes, subarray input)', (t) => {
  const f32 = le32([1, 2, 3, 4, 5, 6]);
  const i64 = new Uint8Array(16);
  new DataView(i64.buffer).setBigInt64(0, -3n, true);
  new DataView(i64.buffer).setBigInt64(8, 9007199254740991n, true);
  const u8 = Uint8Array.of(7, 255);
  const data = new Uint8Array([...f32, ...u8, ...i64]);
  const file = handBuilt({
    weight: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    counts: { dtype: 'I64', shape: [2], data_offsets: [26, 42] },
    bytes: { dtype: 'U8', shape: [2], data_offsets: [24, 26] },
    __metadata__: { format: 'pt' },
  }, data);
  // Parse from an unaligned view inside a bigger buffer, as a Buffer slice may be.
  const host = new Uint8Array(file.length + 3);
  host.set(file, 3);
  const st = parseSafetensors(host.subarray(3), 'hand.safetensors');
  t.deepEqual(st.tensors.weight.shape, [2, 3]);
  t.deepEqual([...st.tensors.weight.data], [1, 2, 3, 4, 5, 6]);
  t.true(st.tensors.weight.data instanceof Float32Array);
  t.deepEqual([...st.tensors.bytes.data], [7, 255]);
  t.true(st.tensors.counts.data instanceof Float64Array);
  t.deepEqual([...st.tensors.counts.data], [-3, 9007199254740991]);
  t.deepEqual(st.metadata, { format: 'pt' });
});

const good = () => ({ header: { W1: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b1: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, data: le32([1, 2, 3]) });

function failsWith(t: import('ava').ExecutionContext, bytes: Uint8Array, ...patterns: RegExp[]): void {
  const err = t.throws(() => parseSafetensors(bytes, 'model.safetensors'));
  t.true(err!.message.startsWith('model.safetensors: '), err!.message);
  for (const p of patterns) t.regex(err!.message, p);
}

test('truncated files: cut in the length field, in the header, in the data', (t) => {
  const { header, data } = good();
  const full = handBuilt(header, data);
  t.notThrows(() => parseSafetensors(full, 'ok'));
  failsWith(t, full.subarray(0, 5), /too short for the 8-byte header length/);
  failsWith(t, full.subarray(0, 20), /header length field says \d+ bytes but only 12 follow/);
  failsWith(t, full.subarray(0, full.length - 2), /tensor "b1": data_offsets \[8, 12\] are out of range: the data section has 10 bytes/);
});

test('corrupt JSON and malformed entries', (t) => {
  const { data } = good();
  failsWith(t, handBuilt(null, data, '{"W1": {"dtype": "F32", "shape": [2'), /header is not valid UTF-8 JSON/);
  failsWith(t, handBuilt([1, 2], data), /header must be a JSON object/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [-2], data_offsets: [0, 12] } }, data), /tensor "W1": "shape" must be a list of non-negative integers/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [3], data_offsets: [0] } }, data), /tensor "W1": "data_offsets" must be \[begin, end\]/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, __metadata__: { n: 3 } }, data), /"__metadata__"\["n"\] must be a string/);
});

test('out-of-range offsets name the tensor', (t) => {
  const { data } = good();
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b1: { dtype: 'F32', shape: [1], data_offsets: [96, 100] } }, data),
    /tensor "b1": data_offsets \[96, 100\] are out of range: the data section has 12 bytes/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data), /tensor "W1": data_offsets \[8, 4\] end before they begin/);
});

test('overlapping, gapped and trailing data are rejected', (t) => {
  const data = le32([1, 2, 3, 4]);
  failsWith(t, handBuilt({
    W1: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
    b1: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
  }, data), /tensor "b1": data_offsets \[8, 16\] overlap tensor "W1" \[0, 12\]/);
  failsWith(t, handBuilt({
    W1: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    b1: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
  }, data), /tensor "b1": .* leave a gap of 4 bytes after tensor "W1"/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data),
    /4 trailing bytes after the last tensor \("W1", ending at 12\)/);
});

test('unsupported dtype and shape/length mismatch name the tensor', (t) => {
  const { data } = good();
  failsWith(t, handBuilt({ W1: { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }, data),
    /tensor "W1" has dtype F16, which scratchnet cannot load/, /Convert it to F32/);
  failsWith(t, handBuilt({ W1: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, data),
    /tensor "W1": shape \(2, 2\) of F32 needs 16 bytes but data_offsets \[0, 12\] span 12/);
  failsWith(t, handBuilt({ W1: { dtype: 'F64', shape: [3], data_offsets: [0, 12] } }, data),
    /tensor "W1": shape \(3\) of F64 needs 24 bytes/);
});

test('loadSafetensors names a missing file; save rejects what the format cannot hold', (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'none.safetensors');
  t.regex(t.throws(() => loadSafetensors(missing))!.message, /none\.safetensors: no such file/);
  const file = path.join(dir, 'x.safetensors');
  t.regex(t.throws(() => saveSafetensors(file, { __metadata__: Tensor.zeros([1]) }))!.message, /reserved/);
  t.regex(t.throws(() => saveSafetensors(file, { W1: Tensor.zeros([1]) }, { n: 3 as unknown as string }))!.message, /metadata\["n"\] must be a string/);
  t.false(fs.existsSync(file));
  t.deepEqual(fs.readdirSync(dir), []);
});

test('a save that fails keeps the previous file loadable and leaves no temp files', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'model.safetensors');
  saveSafetensors(file, { W1: Tensor.from([1, 2, 3], [3]) });
  const err = t.throws(() => saveSafetensors(file, { W1: Tensor.from([9, 9, 9, 9], [4]) }, undefined, {
    beforeRename: () => { throw new Error('disk vanished'); },
  }));
  t.true(err!.message.includes(file), err!.message);
  t.regex(err!.message, /disk vanished/);
  const back = loadSafetensors(file);
  t.deepEqual([...back.tensors.W1.data], [1, 2, 3]);
  t.deepEqual(leftovers(dir), []);
});
