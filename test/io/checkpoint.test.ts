import test from 'ava';
import * as path from 'path';
import { saveCheckpoint, loadCheckpoint, CHECKPOINT_METADATA_KEY } from '../../lib/io/checkpoint';
import { saveSafetensors, loadSafetensors } from '../../lib/io/safetensors';
import { Tensor } from '../../lib/tensor/tensor';
import { tempDir, leftovers } from '../helpers/tmpdir';

test('round trip: tensors (f32 and f64) and nested meta', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'run', 'ckpt.safetensors');
  const tensors = {
    W1: Tensor.from([0.5, -0.25, 1, 2], [2, 2]),
    b1: Tensor.from([0.125, 3], [2]),
    'optimizer.m.W1': Tensor.from([1e-3, 2e-3, 3e-3, 4e-3], [2, 2], 'float64'),
  };
  const meta = { epoch: 3, iteration: 1800, rng: [123456789, 362436069], optimizer: { name: 'Adam', lr: 0.001 }, done: false };
  saveCheckpoint(file, { tensors, meta });
  const back = loadCheckpoint<typeof meta>(file);
  t.deepEqual(back.meta, meta);
  t.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  for (const [k, v] of Object.entries(tensors)) {
    t.deepEqual(back.tensors[k].shape, v.shape, k);
    t.is(back.tensors[k].dtype, v.dtype, k);
    t.deepEqual([...back.tensors[k].data], [...v.data], k);
  }
  // Still a plain safetensors file for other tools, with the document under "scratchnet".
  const doc = JSON.parse(loadSafetensors(file).metadata[CHECKPOINT_METADATA_KEY]);
  t.is(doc.format, 'scratchnet-checkpoint');
  t.is(doc.version, 1);
  t.deepEqual(leftovers(path.dirname(file)), []);
});

test('a plain parameter file is not a checkpoint, and says so', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'params.safetensors');
  saveSafetensors(file, { W1: Tensor.zeros([2]) }, { source: 'numpy' });
  const err = t.throws(() => loadCheckpoint(file));
  t.true(err!.message.startsWith(file), err!.message);
  t.regex(err!.message, /plain parameter file .* not a checkpoint/);
  t.regex(err!.message, /loadSafetensors/);
});

test('format tag, version and meta are checked on load', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'c.safetensors');
  const W1 = Tensor.zeros([1]);
  saveSafetensors(file, { W1 }, { scratchnet: JSON.stringify({ format: 'something-else', version: 1, meta: {} }) });
  t.regex(t.throws(() => loadCheckpoint(file))!.message, /expected checkpoint format "scratchnet-checkpoint" but found "something-else"/);
  saveSafetensors(file, { W1 }, { scratchnet: JSON.stringify({ format: 'scratchnet-checkpoint', version: 2, meta: {} }) });
  t.regex(t.throws(() => loadCheckpoint(file))!.message, /checkpoint version 2 is not supported .* newer scratchnet/);
  saveSafetensors(file, { W1 }, { scratchnet: '{not json' });
  t.regex(t.throws(() => loadCheckpoint(file))!.message, /checkpoint metadata is not valid JSON/);
  saveSafetensors(file, { W1 }, { scratchnet: JSON.stringify({ format: 'scratchnet-checkpoint', version: 1, meta: 5 }) });
  t.regex(t.throws(() => loadCheckpoint(file))!.message, /meta is not an object/);
});

test('meta that JSON cannot hold is refused before anything is written', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'c.safetensors');
  const tensors = { W1: Tensor.zeros([1]) };
  t.regex(t.throws(() => saveCheckpoint(file, { tensors, meta: { loss: NaN } }))!.message, /non-finite number NaN/);
  t.regex(t.throws(() => saveCheckpoint(file, { tensors, meta: { step: 10n } as object }))!.message, /BigInt/);
  t.regex(t.throws(() => saveCheckpoint(file, { tensors, meta: [1] as unknown as object }))!.message, /meta must be a plain object/);
  t.throws(() => loadCheckpoint(file), { message: /no such file/ });
});
