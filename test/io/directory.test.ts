// Directories and file-system errors: no hang under /proc (Node's recursive mkdir loops there),
// the real reason for a refusal (read-only, disk full — not ENOENT), and temp files of killed
// writers removed while a live writer's are kept.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../../lib/io/atomic';
import { describeFsError, makeDirectory } from '../../lib/io/directory';
import { tempDir } from '../helpers/tmpdir';

test('makeDirectory creates missing parents and accepts an existing directory', (t) => {
  const dir = tempDir(t);
  const deep = path.join(dir, 'a', 'b', 'c');
  makeDirectory(deep);
  makeDirectory(deep);
  t.true(fs.statSync(deep).isDirectory());
  fs.writeFileSync(path.join(dir, 'file'), '');
  t.throws(() => makeDirectory(path.join(dir, 'file', 'x')), { message: /file is a file, not a directory/, code: 'ENOTDIR' } as never);
});

(fs.existsSync('/proc/self') ? test : test.skip)('makeDirectory under /proc fails at once with the reason (Node\'s recursive mkdir loops for ever there)', (t) => {
  const t0 = Date.now();
  t.throws(() => makeDirectory('/proc/scratchnet-test/run'), { message: /cannot create \/proc\/scratchnet-test: \/proc does not accept new directories/ });
  t.true(Date.now() - t0 < 1000);
});

test('file-system errors are described in words', (t) => {
  t.is(describeFsError(Object.assign(new Error('x'), { code: 'EROFS' })), 'the file system is read-only (EROFS)');
  t.is(describeFsError(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'the disk is full (ENOSPC)');
  t.is(describeFsError(new Error('other')), 'other');
});

test('removeStaleTemps removes the temp files of dead writers only', (t) => {
  const dir = tempDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  const stale = `.params.safetensors.${deadPid}.3.0badc0de.tmp`;
  const live = `.params.safetensors.${process.pid}.4.0badc0de.tmp`;
  for (const n of [stale, live, 'params.safetensors', '.hidden']) fs.writeFileSync(path.join(dir, n), 'x');
  t.deepEqual(removeStaleTemps(dir), [stale]);
  t.deepEqual(fs.readdirSync(dir).sort(), ['.hidden', live, 'params.safetensors'].sort());
  t.deepEqual(removeStaleTemps(path.join(dir, 'missing')), []);
});

// A read-only and a full file system, mounted in a private mount namespace (no root needed
// where unprivileged user namespaces are allowed; skipped elsewhere).
const canMount = process.platform === 'linux' &&
  spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { stdio: 'ignore' }).status === 0;

function inNamespace(mountOptions: string, script: string): { status: number | null; stdout: string; stderr: string } {
  const atomic = path.join(__dirname, '..', '..', 'lib', 'io', 'atomic.js');
  const code = `const { writeFileAtomic } = require(${JSON.stringify(atomic)}); ${script}`;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ${mountOptions} tmpfs /mnt && exec "$0" -e "$1"`, process.execPath, code], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

(canMount ? test : test.skip)('a read-only file system is reported as read-only, not ENOENT', (t) => {
  const r = inNamespace('ro,size=64k', `try { writeFileAtomic('/mnt/run/x.bin', new Uint8Array(4)); } catch (e) { console.log(e.message); }`);
  t.regex(r.stdout, /could not save \/mnt\/run\/x\.bin: cannot create \/mnt\/run: the file system is read-only \(EROFS\)/, r.stderr);
});

(canMount ? test : test.skip)('a full disk is reported as full and keeps the previous file', (t) => {
  const r = inNamespace('size=64k', `
    const fs = require('fs');
    writeFileAtomic('/mnt/x.bin', new Uint8Array(1000).fill(7));
    try { writeFileAtomic('/mnt/x.bin', new Uint8Array(1 << 20)); } catch (e) { console.log(e.message); }
    console.log(fs.readFileSync('/mnt/x.bin').length, fs.readdirSync('/mnt').length);`);
  t.regex(r.stdout, /could not save \/mnt\/x\.bin: the disk is full \(ENOSPC\)\. The previous file \(if any\) was left unchanged\.\n1000 1\n/, r.stderr);
});

test('writeFileAtomic still writes where it can', (t) => {
  const dir = tempDir(t);
  writeFileAtomic(path.join(dir, 'new', 'f.bin'), new Uint8Array([1, 2]));
  t.deepEqual([...fs.readFileSync(path.join(dir, 'new', 'f.bin'))], [1, 2]);
});
