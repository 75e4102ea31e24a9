import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { readIdx, writeIdx, encodeIdx } from '../../lib/data/idx';
import { loadIdxDataset, loadMnist } from '../../lib/data/mnist';
import { tempDir } from '../helpers/tmpdir';

function header(type: number, dims: number[]): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(h.buffer);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function ramp(n: number, mul = 7): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * mul) & 0xff);
}

test('raw round trip: dims and bytes come back, the header is the idx layout', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'imgs-idx3-ubyte');
  const data = ramp(3 * 4 * 5);
  writeIdx(file, [3, 4, 5], data);
  const raw = fs.readFileSync(file);
  t.deepEqual([...raw.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
  const back = readIdx(file);
  t.deepEqual(back.dims, [3, 4, 5]);
  t.deepEqual([...back.data], [...data]);
});

test('gzip round trip, detected by the .gz name and by the 1f 8b magic alone', (t) => {
  const dir = tempDir(t);
  const data = ramp(6, 41);
  const named = path.join(dir, 'labels-idx1-ubyte.gz');
  writeIdx(named, [6], data, { gzip: true });
  t.deepEqual([...fs.readFileSync(named).subarray(0, 2)], [0x1f, 0x8b]);
  t.deepEqual(readIdx(named).dims, [6]);
  t.deepEqual([...readIdx(named).data], [...data]);
  const unnamed = path.join(dir, 'labels-idx1-ubyte');
  writeIdx(unnamed, [6], data, { gzip: true });
  t.deepEqual([...readIdx(unnamed).data], [...data]);
  // A .gz name with raw content (transparently decompressed download) still reads.
  const rawNamedGz = path.join(dir, 'raw.gz');
  fs.writeFileSync(rawNamedGz, encodeIdx([6], data));
  t.deepEqual([...readIdx(rawNamedGz).data], [...data]);
});

test('wrong magic names the file, the expected magic and the one found', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'train-images-idx3-ubyte');
  fs.writeFileSync(file, concat(Uint8Array.of(0x3c, 0x68, 0x74, 0x6d), ramp(100)));
  const err = t.throws(() => readIdx(file, { ndims: 3, role: 'images' }));
  t.true(err!.message.startsWith(file), err!.message);
  t.true(err!.message.includes('expected magic 0x00000803 (images) but found 0x3c68746d'), err!.message);
});

test('a labels file where images were expected is reported with both magics', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'swapped');
  writeIdx(file, [4], ramp(4));
  const err = t.throws(() => readIdx(file, { ndims: 3, role: 'images' }));
  t.true(err!.message.includes('expected magic 0x00000803 (images)'), err!.message);
  t.true(err!.message.includes('found 0x00000801'), err!.message);
  t.regex(err!.message, /swapped\?/);
});

test('unsupported element type is named', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'floats-idx2');
  fs.writeFileSync(file, concat(header(0x0d, [2, 2]), new Uint8Array(16)));
  const err = t.throws(() => readIdx(file));
  t.true(err!.message.startsWith(file), err!.message);
  t.regex(err!.message, /element type 0x0d \(float \(4 bytes\)\) is not supported/);
  const bogus = path.join(dir, 'bogus');
  fs.writeFileSync(bogus, concat(header(0x42, [1]), new Uint8Array(1)));
  t.regex(t.throws(() => readIdx(bogus))!.message, /element type 0x42 is not a valid idx type/);
});

test('truncated data gives the header arithmetic and the actual size', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'train-images-idx3-ubyte');
  fs.writeFileSync(file, concat(header(0x08, [60000, 28, 28]), new Uint8Array(1000)));
  const err = t.throws(() => readIdx(file, { ndims: 3, role: 'images' }));
  t.true(
    err!.message.includes(`${file}: header says 60000×28×28 = 47040000 bytes of data but the file has 1000 (truncated?)`),
    err!.message,
  );
  const shortHeader = path.join(dir, 'short');
  fs.writeFileSync(shortHeader, Uint8Array.of(0, 0, 8, 3, 0, 0));
  t.regex(t.throws(() => readIdx(shortHeader))!.message, /declares 3 dimensions \(16 header bytes\) but the file has only 6 bytes/);
  const tiny = path.join(dir, 'tiny');
  fs.writeFileSync(tiny, Uint8Array.of(0, 0));
  t.regex(t.throws(() => readIdx(tiny))!.message, /too short for the 4-byte idx magic/);
});

test('extra bytes after the data are an error of their own', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'labels');
  fs.writeFileSync(file, concat(header(0x08, [10]), new Uint8Array(13)));
  const err = t.throws(() => readIdx(file));
  t.true(err!.message.startsWith(file), err!.message);
  t.regex(err!.message, /header says 10 bytes of data but the file has 13 \(3 extra bytes/);
});

test('corrupt gzip and missing files are reported with the path', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'broken.gz');
  const gz = zlib.gzipSync(encodeIdx([100], ramp(100)));
  fs.writeFileSync(file, gz.subarray(0, gz.length - 20));
  const err = t.throws(() => readIdx(file));
  t.true(err!.message.startsWith(file), err!.message);
  t.regex(err!.message, /gzip-compressed but could not be decompressed/);
  const missing = path.join(dir, 'nope');
  t.regex(t.throws(() => readIdx(missing, { role: 'labels' }))!.message, /nope: no such file \(expected the labels idx file\)/);
});

test('writeIdx refuses data that does not match its dimensions', (t) => {
  const dir = tempDir(t);
  const err = t.throws(() => writeIdx(path.join(dir, 'x'), [2, 3], new Uint8Array(5)));
  t.regex(err!.message, /dimensions 2×3 need 6 bytes of data but 5 were given/);
  t.deepEqual(fs.readdirSync(dir), []);
});

test('mismatched image and label counts name both files and both counts', (t) => {
  const dir = tempDir(t);
  const images = path.join(dir, 'imgs');
  const labels = path.join(dir, 'lbls');
  writeIdx(images, [5, 2, 2], ramp(20));
  writeIdx(labels, [4], Uint8Array.of(0, 1, 2, 3));
  const err = t.throws(() => loadIdxDataset(images, labels));
  t.true(err!.message.includes(`${images} holds 5 images but ${labels} holds 4 labels`), err!.message);
});

test('loadIdxDataset: 3-D images required, labels checked against numClasses', (t) => {
  const dir = tempDir(t);
  const flat = path.join(dir, 'flat');
  const labels = path.join(dir, 'labels');
  writeIdx(flat, [2, 4], ramp(8));
  writeIdx(labels, [2], Uint8Array.of(3, 12));
  t.regex(t.throws(() => loadIdxDataset(flat, labels))!.message, /expected magic 0x00000803 \(images\)/);
  const images = path.join(dir, 'images');
  writeIdx(images, [2, 2, 2], ramp(8));
  const err = t.throws(() => loadIdxDataset(images, labels, { numClasses: 10 }));
  t.regex(err!.message, /the labels reach class 12 but numClasses is 10; pass numClasses ≥ 13/);
  const ok = loadIdxDataset(images, labels);
  t.is(ok.t.numClasses, 13);
  t.deepEqual(ok.x.sampleShape, [4]);
  t.deepEqual(loadIdxDataset(images, labels, { flatten: false }).x.sampleShape, [1, 2, 2]);
});

function writeSplitDir(dir: string, names: { trI: string; trL: string; teI: string; teL: string }, gz: boolean[]): void {
  writeIdx(path.join(dir, names.trI), [3, 2, 2], ramp(12, 21), { gzip: gz[0] });
  writeIdx(path.join(dir, names.trL), [3], Uint8Array.of(1, 0, 2), { gzip: gz[1] });
  writeIdx(path.join(dir, names.teI), [2, 2, 2], ramp(8, 5), { gzip: gz[2] });
  writeIdx(path.join(dir, names.teL), [2], Uint8Array.of(2, 1), { gzip: gz[3] });
}

test('loadMnist({ dir }) reads a directory mixing raw, .gz and the dot spelling', (t) => {
  const dir = tempDir(t);
  writeSplitDir(dir, {
    trI: 'train-images.idx3-ubyte.gz', trL: 'train-labels-idx1-ubyte',
    teI: 't10k-images-idx3-ubyte.gz', teL: 't10k-labels.idx1-ubyte',
  }, [true, false, true, false]);
  const d = loadMnist({ dir, normalize: false, flatten: false });
  t.is(d.xTrain.count, 3);
  t.is(d.xTest.count, 2);
  t.deepEqual(d.xTrain.sampleShape, [1, 2, 2]);
  t.deepEqual([...d.tTrain.labels], [1, 0, 2]);
  // MNIST-like data has at least ten classes even if the labels seen only reach 2.
  t.is(d.tTrain.numClasses, 10);
  t.is(d.tTest.numClasses, 10);
  const x = new Float32Array(4);
  d.xTest.gather(null, 1, 2, x);
  t.deepEqual([...x], [...ramp(8, 5).subarray(4)]);
});

test('loadMnist({ dir }) with a missing file lists the names looked for and the directory', (t) => {
  const dir = tempDir(t);
  writeSplitDir(dir, {
    trI: 'train-images-idx3-ubyte', trL: 'train-labels-idx1-ubyte',
    teI: 't10k-images-idx3-ubyte', teL: 'unrelated-name',
  }, [false, false, false, false]);
  const err = t.throws(() => loadMnist({ dir }));
  t.true(err!.message.includes(`in ${dir}, missing 1 of the 4 MNIST files`), err!.message);
  t.true(
    err!.message.includes('[t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz or t10k-labels.idx1-ubyte or t10k-labels.idx1-ubyte.gz]'),
    err!.message,
  );
  t.false(err!.message.includes('train-images'), err!.message);
  t.regex(t.throws(() => loadMnist({ dir: path.join(dir, 'absent') }))!.message, /does not exist or is not a directory/);
});

test('loadMnist({ dir }) checks each split pairs up and both splits share the image size', (t) => {
  const dir = tempDir(t);
  writeSplitDir(dir, {
    trI: 'train-images-idx3-ubyte', trL: 'train-labels-idx1-ubyte',
    teI: 't10k-images-idx3-ubyte', teL: 't10k-labels-idx1-ubyte',
  }, [false, false, false, false]);
  writeIdx(path.join(dir, 't10k-labels-idx1-ubyte'), [3], Uint8Array.of(0, 0, 0));
  t.regex(t.throws(() => loadMnist({ dir }))!.message, /holds 2 images but .*t10k-labels-idx1-ubyte holds 3 labels/);
  writeIdx(path.join(dir, 't10k-labels-idx1-ubyte'), [2], Uint8Array.of(0, 0));
  writeIdx(path.join(dir, 't10k-images-idx3-ubyte'), [2, 3, 3], ramp(18));
  t.regex(t.throws(() => loadMnist({ dir }))!.message, /training images are 2×2 .* but test images are 3×3/);
});
