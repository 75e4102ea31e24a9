// scratchnet predict: classes and top probabilities for images from an idx file or PNG files.
// PNGs are grey-scaled and resized (area-averaged) to the model's input; MNIST digits are light
// on dark, so a mostly light picture (a dark digit on paper) is inverted unless told otherwise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { ImageSet } from '../data/dataset';
import { readIdx } from '../data/idx';
import { presetNames } from '../networks/resolve';
import { CliError, type CommandSpec, flag, helpText, num, oneOf, parseCommand } from './options';
import { io, loadTrained, oneLine, pickBackend } from './common';
import { percent } from '../format';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'classify images from an idx file or PNG files with a trained network',
  usage: 'scratchnet predict (--run <dir> | --params <file>) [--model <name|file.json>] <images.idx|digit.png>... [options]',
  positionals: true,
  options: {
    run: { type: 'string', arg: '<dir>', help: 'a directory written by scratchnet train' },
    params: { type: 'string', arg: '<file>', help: 'a parameter file (safetensors)' },
    model: { type: 'string', arg: '<name|file.json>', help: `${presetNames.join(', ')} or a model file`, def: "the run's model.json or the file's metadata" },
    limit: { type: 'string', arg: '<n>', help: 'classify only the first n images of an idx file', def: 'all' },
    top: { type: 'string', arg: '<k>', help: 'how many of the most probable classes to print', def: '3' },
    invert: { type: 'string', arg: '<mode>', help: "PNG only: 'auto' (invert mostly-light pictures), 'yes' or 'no'", def: 'auto' },
    strict: { type: 'boolean', help: 'PNG only: refuse (exit 2) a picture that does not look like an MNIST digit or is not square, instead of classifying it with a warning' },
    threads: { type: 'string', arg: '<n>', help: 'kernel threads' },
    backend: { type: 'string', arg: '<name>', help: 'native or reference', def: 'native when available' },
    json: { type: 'boolean', help: 'one JSON object per image' },
  },
  examples: [
    'scratchnet predict --run runs/lenet digit.png',
    'scratchnet predict --params params.safetensors --model simple-convnet t10k-images-idx3-ubyte --limit 20',
  ],
};

interface Item { source: string; index: number | null; inverted: boolean | null; note: string | null; warnings: string[] }

/** Area-average resampling of a grey image (works for shrinking and enlarging). */
export function resizeGrey(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const out = new Float64Array(dw * dh);
  const fx = sw / dw;
  const fy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const y0 = y * fy;
    const y1 = y0 + fy;
    for (let x = 0; x < dw; x++) {
      const x0 = x * fx;
      const x1 = x0 + fx;
      let acc = 0;
      let area = 0;
      for (let sy = Math.floor(y0); sy < Math.min(sh, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(sw, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          acc += src[sy * sw + sx] * wx * wy;
          area += wx * wy;
        }
      }
      out[y * dw + x] = area > 0 ? acc / area : 0;
    }
  }
  return out;
}

/**
 * Largest picture predict decodes: 40 megapixels (a large photo) is 160 MB as RGBA. A PNG header
 * may claim 30000×30000 in a few hundred bytes; decoding that took 118 s and 10.6 GB.
 */
export const MAX_PICTURE_PIXELS = 40_000_000;

/** Width and height from a PNG's IHDR chunk (bytes 16–23), or null when the file is not a PNG. */
function pngDimensions(buf: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(signature) || buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * Why a picture, as the model will see it, is not what MNIST digits look like: another aspect
 * ratio (squeezed), or not light strokes on a blank dark border. The model still gives a class —
 * a softmax always does — so predict shows these beside the class rather than on stderr, where
 * they are lost in a pipeline; --strict refuses such pictures instead.
 */
export function digitWarnings(bytes: Uint8Array, h: number, w: number, srcW: number, srcH: number): string[] {
  const warnings: string[] = [];
  const aspect = srcW / srcH;
  if (Math.abs(aspect / (w / h) - 1) > 0.05) {
    warnings.push(`a ${srcW}×${srcH} picture (aspect ${aspect.toFixed(2)}) squeezed to ${w}×${h} (aspect ${(w / h).toFixed(2)}): the digit is distorted`);
  }
  // MNIST: a 4-pixel blank border (≈ 0) around light strokes covering ≈ 10–25% of the image.
  let border = 0;
  let borderCount = 0;
  let ink = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = bytes[y * w + x];
      if (v > 127) ink++;
      if (y < 2 || y >= h - 2 || x < 2 || x >= w - 2) { border += v; borderCount++; }
    }
  }
  const borderMean = border / borderCount / 255;
  const inkShare = ink / (h * w);
  if (borderMean > 0.2 || inkShare > 0.5 || inkShare === 0) {
    const why = inkShare === 0 ? 'it has no light strokes' : borderMean > 0.2 ? `its border is ${Math.round(borderMean * 100)}% bright, not blank` : `${Math.round(inkShare * 100)}% of it is bright strokes`;
    warnings.push(`it does not look like an MNIST digit (light strokes on a blank dark border; ${why}), so the class is a guess`);
  }
  return warnings;
}

function pngToBytes(file: string, h: number, w: number, invert: 'auto' | 'yes' | 'no'): { bytes: Uint8Array; inverted: boolean; note: string | null; warnings: string[] } {
  let png: PNG;
  const buf = fs.readFileSync(file);
  const dims = pngDimensions(buf);
  if (dims && dims.width * dims.height > MAX_PICTURE_PIXELS) {
    throw new CliError(
      `scratchnet predict: ${file} is ${dims.width}×${dims.height} = ${(dims.width * dims.height).toLocaleString('en-US')} pixels; ` +
        `predict reads pictures of up to ${MAX_PICTURE_PIXELS.toLocaleString('en-US')} pixels (the model sees ${w}×${h}). Fix: scale the picture down first.`,
    );
  }
  try {
    png = PNG.sync.read(buf);
  } catch (e) {
    throw new CliError(`scratchnet predict: ${file} is not a readable PNG (${oneLine((e as Error).message)}).`);
  }
  const n = png.width * png.height;
  const grey = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const a = png.data[i * 4 + 3] / 255;
    // Transparent pixels count as paper (white), as they look in an image viewer.
    const lum = 0.299 * png.data[i * 4] + 0.587 * png.data[i * 4 + 1] + 0.114 * png.data[i * 4 + 2];
    grey[i] = lum * a + 255 * (1 - a);
    mean += grey[i];
  }
  mean /= n;
  const inv = invert === 'yes' || (invert === 'auto' && mean > 127.5);
  let note: string | null = null;
  let img: Float64Array = grey;
  if (png.width !== w || png.height !== h) {
    note = `${path.basename(file)} is ${png.width}×${png.height}; resized to ${w}×${h} for the model's input`;
    img = resizeGrey(grey, png.width, png.height, w, h);
  }
  const bytes = new Uint8Array(h * w);
  for (let i = 0; i < bytes.length; i++) {
    const v = inv ? 255 - img[i] : img[i];
    bytes[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return { bytes, inverted: inv, note, warnings: digitWarnings(bytes, h, w, png.width, png.height) };
}

export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommand(predictSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(predictSpec));
    return 0;
  }
  const json = flag(v, 'json');
  if (positionals.length === 0) {
    throw new CliError(`scratchnet predict: no input images. Give an idx images file (e.g. t10k-images-idx3-ubyte) or PNG files after the options.`);
  }
  const limit = num('predict', v, 'limit', { int: true, min: 1 });
  const top = num('predict', v, 'top', { int: true, min: 1 }) ?? 3;
  const invert = oneOf('predict', v, 'invert', ['auto', 'yes', 'no'] as const) ?? 'auto';
  const strict = flag(v, 'strict');
  const backend = pickBackend('predict', v, (s) => { if (!json) io.err(s); });
  const { net } = loadTrained('predict', v, backend);
  const shape = net.inputShape;
  let h: number;
  let w: number;
  if (shape.length === 3 && shape[0] === 1) [, h, w] = shape;
  else if (shape.length === 1 && Number.isInteger(Math.sqrt(shape[0]))) h = w = Math.sqrt(shape[0]);
  else throw new CliError(`scratchnet predict: the model takes inputs shaped (${shape.join(', ')}); predict reads grey-scale images, so it needs (1, h, w) or a flat square like (784).`);

  const chunks: Uint8Array[] = [];
  const items: Item[] = [];
  for (const file of positionals) {
    if (!fs.existsSync(file)) throw new CliError(`scratchnet predict: ${file}: no such file.`);
    if (/\.png$/i.test(file)) {
      const r = pngToBytes(file, h, w, invert);
      if (strict && r.warnings.length) {
        throw new CliError(`scratchnet predict: ${file}: ${r.warnings.join('; ')}. Fix: crop it to the digit, square, light on dark (or dark on light), or leave out --strict to classify it anyway.`);
      }
      if (r.note && !json && !r.warnings.length) io.err(`note: ${r.note}.`);
      chunks.push(r.bytes);
      items.push({ source: file, index: null, inverted: r.inverted, note: r.note, warnings: r.warnings });
      continue;
    }
    let idx;
    try {
      idx = readIdx(file, { ndims: 3, role: 'images' });
    } catch (e) {
      throw new CliError(`scratchnet predict: ${oneLine((e as Error).message)} (inputs must be PNG files or an idx images file).`);
    }
    const [count, ih, iw] = idx.dims;
    if (ih !== h || iw !== w) {
      throw new CliError(`scratchnet predict: ${file} holds ${ih}×${iw} images but the model takes ${h}×${w}. Fix: use images of the model's size (PNG files are resized automatically).`);
    }
    if (count === 0) throw new CliError(`scratchnet predict: ${file} holds 0 images; there is nothing to classify. Fix: give an idx file with images, or PNG files.`);
    const n = Math.min(count, limit ?? count);
    chunks.push(idx.data.subarray(0, n * h * w));
    for (let i = 0; i < n; i++) items.push({ source: file, index: i, inverted: null, note: null, warnings: [] });
  }
  const all = new Uint8Array(items.length * h * w);
  let off = 0;
  for (const c of chunks) { all.set(c, off); off += c.length; }
  const x = ImageSet.fromBytes(all, shape, true);
  const k = net.numClasses;
  const kTop = Math.min(top, k);
  const probs = net.predictProba(x).data;
  for (let i = 0; i < items.length; i++) {
    const p = probs.subarray(i * k, (i + 1) * k);
    const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => p[b] - p[a]).slice(0, kTop);
    const it = items[i];
    if (json) {
      io.json({
        input: it.source, ...(it.index !== null ? { index: it.index } : {}), class: order[0], probability: p[order[0]],
        top: order.map((c) => ({ class: c, probability: p[c] })),
        ...(it.inverted !== null ? { inverted: it.inverted } : {}), ...(it.note ? { resized: true } : {}),
        ...(it.warnings.length ? { warnings: it.warnings } : {}),
      });
    } else {
      const name = it.index !== null ? `${it.source}[${it.index}]` : it.source;
      io.out(`${name}: ${order[0]}  (${order.map((c) => `${c}: ${percent(p[c], 1)}`).join(', ')})${it.inverted ? '  [inverted]' : ''}${it.warnings.length ? `  WARNING: ${it.warnings.join('; ')}` : ''}`);
    }
  }
  return 0;
}
