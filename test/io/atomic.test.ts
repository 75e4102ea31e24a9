import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, isAtomicTempName } from '../../lib/io/atomic';
import { tempDir, leftovers } from '../helpers/tmpdir';

const bytes = (s: string) => new TextEncoder().encode(s);

test('writes chunks back to back and creates parent directories', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'a', 'b', 'out.bin');
  writeFileAtomic(target, [bytes('hello, '), bytes('world'), new Uint8Array(0)]);
  t.is(fs.readFileSync(target, 'utf8'), 'hello, world');
  writeFileAtomic(target, bytes('replaced'));
  t.is(fs.readFileSync(target, 'utf8'), 'replaced');
  t.deepEqual(leftovers(path.dirname(target)), []);
});

test('a write that fails part-way leaves the previous file intact and no temp file', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'model.safetensors');
  writeFileAtomic(target, bytes('good old contents'));
  // The first chunk reaches the temp file; the second is not a buffer, so writing fails mid-file.
  const bad = [bytes('new partial contents'), { length: 3 } as unknown as Uint8Array];
  const err = t.throws(() => writeFileAtomic(target, bad));
  t.true(err!.message.includes(target), err!.message);
  t.regex(err!.message, /chunk 1 is not a Uint8Array/);
  t.regex(err!.message, /previous file .* unchanged/);
  t.is(fs.readFileSync(target, 'utf8'), 'good old contents');
  t.deepEqual(leftovers(dir), []);
});

test('a failure injected just before the rename leaves the previous file intact and no temp file', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'ckpt.bin');
  writeFileAtomic(target, bytes('version 1'));
  let seenTemp = '';
  const err = t.throws(() => writeFileAtomic(target, bytes('version 2, complete'), {
    beforeRename: (tmp) => {
      seenTemp = tmp;
      // The temp file is complete at this point, in the same directory as the target.
      t.is(fs.readFileSync(tmp, 'utf8'), 'version 2, complete');
      t.is(path.dirname(tmp), dir);
      t.true(isAtomicTempName(path.basename(tmp), 'ckpt.bin'));
      throw new Error('simulated crash');
    },
  }));
  t.regex(err!.message, /simulated crash/);
  t.not(seenTemp, '');
  t.false(fs.existsSync(seenTemp));
  t.is(fs.readFileSync(target, 'utf8'), 'version 1');
  t.deepEqual(leftovers(dir), []);
});

test('a rename that the filesystem refuses (target is a directory) cleans up its temp file', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep.txt'), 'x');
  const err = t.throws(() => writeFileAtomic(target, bytes('data')));
  t.true(err!.message.includes(target), err!.message);
  t.is(fs.readFileSync(path.join(target, 'keep.txt'), 'utf8'), 'x');
  t.deepEqual(leftovers(dir), []);
});

// root ignores directory permissions, so this scenario only runs as an ordinary user; the
// injected failures above exercise the same cleanup path everywhere.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
(isRoot ? test.skip : test)('a read-only directory makes the save fail and keeps the previous file', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'params.bin');
  writeFileAtomic(target, bytes('first'));
  fs.chmodSync(dir, 0o555);
  const err = t.throws(() => writeFileAtomic(target, bytes('second')));
  t.true(err!.message.includes(target), err!.message);
  fs.chmodSync(dir, 0o755);
  t.is(fs.readFileSync(target, 'utf8'), 'first');
  t.deepEqual(leftovers(dir), []);
});
