// A small .gz must not inflate to gigabytes: decompression stops at what the idx header
// declares (a 2.3 MB file inflated to 2.35 GB and crashed zlib under `ulimit -v`).
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx, readIdx } from '../../lib/data/idx';
import { tempDir } from '../helpers/tmpdir';

function tmp(t: import('ava').ExecutionContext): string {
  const dir = tempDir(t, 'scratchnet-gz-');
  return dir;
}

test('data beyond what the header declares stops the decompression there', (t) => {
  const file = path.join(tmp(t), 'bomb-idx3-ubyte.gz');
  const header = encodeIdx([10, 28, 28], new Uint8Array(10 * 28 * 28)).subarray(0, 16);
  // 10 images declared, 256 MB of zeros follow (compressed to ~250 kB).
  const body = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(256 * 1024 * 1024)]), { level: 1 });
  fs.writeFileSync(file, body);
  const before = process.memoryUsage().arrayBuffers;
  const e = t.throws(() => readIdx(file, { ndims: 3, role: 'images' }));
  t.regex(e!.message, /bomb-idx3-ubyte\.gz: the file decompresses to more than the 7\.9 kB its idx header declares \(stopped there\)/);
  t.true(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
});

test('a header declaring more than the gzip file can hold is refused before decompressing', (t) => {
  const file = path.join(tmp(t), 'liar-idx3-ubyte.gz');
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(60000, 4);
  header.writeUInt32BE(10000, 8);
  header.writeUInt32BE(10000, 12);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header, Buffer.alloc(1000)])));
  t.throws(() => readIdx(file, { ndims: 3 }), { message: /liar-idx3-ubyte\.gz: its idx header declares 60000×10000×10000 elements \(6\.0 TB\), more than a \d+ B gzip file can hold/ });
});

test('a complete .gz still reads, and a non-idx .gz is named as such', (t) => {
  const dir = tmp(t);
  const good = path.join(dir, 'good.gz');
  const data = new Uint8Array(3 * 4 * 5).map((_, i) => i);
  fs.writeFileSync(good, zlib.gzipSync(encodeIdx([3, 4, 5], data)));
  t.deepEqual(readIdx(good, { ndims: 3 }).dims, [3, 4, 5]);
  const html = path.join(dir, 'page.gz');
  fs.writeFileSync(html, zlib.gzipSync(Buffer.from('<html>' + 'x'.repeat(100000))));
  t.throws(() => readIdx(html, { ndims: 3 }), { message: /page\.gz: expected magic 0x00000803.*this is not an idx file/ });
});
