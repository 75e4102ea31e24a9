// scratchnet train --augment: the setting reaches the Trainer, run.json and the checkpoint; a run
// resumed from its checkpoint keeps augmenting and ends where an uninterrupted run ends; bad
// settings are one line naming the setting and the fix.
import test from 'ava';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../lib/io/checkpoint';
import { loadSafetensors } from '../../lib/io/safetensors';
import { runCli, type CliRun } from '../helpers/cli';
import { suiteTempDir } from '../helpers/tmpdir';

const tmp = suiteTempDir('scratchnet-cli-augment-');

// Each process measures OpenBLAS against the built-in SGEMM at start and keeps the faster: on a
// loaded machine two processes can choose differently and sum in different orders. The runs
// compared bit for bit below must use the same one.
process.env.SCRATCHNET_GEMM = 'builtin';
const cli = (args: string[]): Promise<CliRun> => runCli(args, { cwd: tmp, timeoutMs: 180000 });
const SMALL = ['--train-size', '600', '--test-size', '100', '--seed', '4', '--no-plots', '--augment', 'shift=2,rotate=10,elastic=20:3'];
const SETTINGS = { shift: 2, rotate: 10, scale: 0, elastic: { alpha: 20, sigma: 3 }, imageShape: null };

/** Each tensor's bytes, hex-digested (ava's deepEqual on 400,000-number arrays takes minutes). */
function tensors(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(loadSafetensors(file).tensors)) {
    out[k] = createHash('sha256').update(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)).digest('hex');
  }
  return out;
}

test('train --augment: recorded in run.json and the checkpoint; a resumed run ends where the uninterrupted one does', async (t) => {
  const whole = path.join(tmp, 'whole');
  const [a, b] = await Promise.all([
    cli(['train', ...SMALL, '--epochs', '2', '--out', whole]),
    cli(['train', ...SMALL, '--epochs', '1', '--out', path.join(tmp, 'part')]),
  ]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  t.regex(a.stdout, /augmentation of the training batches: shift ±2 px, rotate ±10°, elastic α 20 σ 3/);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(whole, 'run.json'), 'utf8')).trainer.augment, SETTINGS);
  t.deepEqual(loadCheckpoint<{ options: { augment: unknown } }>(path.join(whole, 'checkpoint.safetensors')).meta.options.augment, SETTINGS);
  // Resumed without --augment: the checkpoint's setting continues.
  const resumed = await cli(['train', '--resume', path.join(tmp, 'part', 'checkpoint.safetensors'), '--epochs', '2', '--no-plots']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /augmentation of the training batches: shift ±2 px, rotate ±10°, elastic α 20 σ 3/);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(tmp, 'part', 'run.json'), 'utf8')).trainer.augment, SETTINGS);
  t.deepEqual(tensors(path.join(tmp, 'part', 'params.safetensors')), tensors(path.join(whole, 'params.safetensors')));
});

test('train --augment: bad settings are one line naming the setting', async (t) => {
  const cases: [string, RegExp][] = [
    ['rotation=10', /--augment: unknown setting 'rotation' in 'rotation=10'\. Settings: shift=PIXELS, rotate=DEGREES, scale=FRACTION, elastic=ALPHA:SIGMA/],
    ['shift=100', /--augment: shift must be a whole number of pixels in \[0, 64\], received 100\. Fix: e\.g\. 2/],
    ['scale=1.5', /--augment: scale must be a number in \[0, 1\), received 1\.5/],
    ['elastic=34', /must be elastic=ALPHA:SIGMA/],
    ['shift=28', /augment\.shift 28 moves 28×28 images entirely out of view/],
  ];
  for (const [spec, re] of cases) {
    const r = await cli(['train', '--train-size', '100', '--test-size', '10', '--epochs', '1', '--augment', spec, '--out', path.join(tmp, 'bad')]);
    t.is(r.code, 2, spec);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0], re);
  }
});
