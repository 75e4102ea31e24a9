// What several commands share: choosing the backend, building the model from a preset name
// or a JSON model file, loading (subsets of) the data in the model's input shape, recreating a
// trained network from a run directory or parameter file, batched predictions, and output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, BackendName } from '../backend/types';
import { nativeStatus, resolveBackend } from '../backend/index';
import { packageRoot, type NativeBackend } from '../backend/native';
import type { ImageSet, LabelSet } from '../data/dataset';
import { loadMnistSubset } from '../data/subset';
import { loadSafetensors } from '../io/safetensors';
import { Sequential, type ModelConfig } from '../networks/sequential';
import { isPresetName, presetNames, resolveModel } from '../networks/resolve';
import { CliError, type ParsedValues, str, num, oneOf } from './options';

export const BACKENDS = ['native', 'reference'] as const;

export function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** Output sinks; tests and --json replace nothing here, commands decide what to print. */
export const io = {
  out: (s: string) => process.stdout.write(s + '\n'),
  err: (s: string) => process.stderr.write(s + '\n'),
  json: (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n'),
};

/**
 * --backend, or native when the addon loaded and reference (with a note on stderr saying why)
 * when not. --threads is applied to the chosen backend.
 */
export function pickBackend(cmd: string, v: ParsedValues, note: (s: string) => void): Backend {
  const name = oneOf(cmd, v, 'backend', BACKENDS) as BackendName | undefined;
  let b: Backend;
  if (name) {
    try {
      b = resolveBackend(name);
    } catch (e) {
      throw new CliError(`scratchnet ${cmd}: ${oneLine((e as Error).message)}`);
    }
  } else {
    const st = nativeStatus();
    if (st.loaded) b = resolveBackend('native');
    else {
      note(`note: the native backend is not available, using the slow reference backend (${oneLine(st.error ?? '')}).`);
      b = resolveBackend('reference');
    }
  }
  const threads = num(cmd, v, 'threads', { int: true, min: 1, max: 256 });
  if (threads !== undefined) b.setNumThreads(threads);
  return b;
}

/** The native backend's SIMD path and SGEMM, which decide a seed's bits; null on the reference backend. */
export function nativeKernels(backend: Backend): { simd: string; gemm: string } | null {
  if (backend.name !== 'native') return null;
  const info = (backend as NativeBackend).info();
  return { simd: info.simd, gemm: info.gemm };
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export interface ModelChoice {
  /** Preset name, or the model file's base name. */
  name: string;
  /** Builds a fresh network (initialised from seed) on the backend. */
  build(backend: Backend, seed: number): Sequential;
}

function readJsonFile(cmd: string, file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`scratchnet ${cmd}: cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`scratchnet ${cmd}: ${what} ${file} is not valid JSON (${(e as Error).message}).`);
  }
}

function looksLikeFile(spec: string): boolean {
  return spec.endsWith('.json') || spec.includes('/') || spec.includes(path.sep) || fs.existsSync(spec);
}

/** --model: a preset name (lib/networks/resolve.ts), a model description, or a JSON file describing a Sequential stack. */
export function chooseModel(cmd: string, spec: string | ModelConfig): ModelChoice {
  if (typeof spec === 'string' && !isPresetName(spec) && looksLikeFile(spec)) {
    const cfg = readJsonFile(cmd, spec, 'model file') as ModelConfig;
    // Built once here so a bad file fails before any data is loaded.
    try {
      Sequential.fromConfig(cfg, { backend: 'reference', seed: 0 });
    } catch (e) {
      throw new CliError(`scratchnet ${cmd}: model file ${spec}: ${oneLine((e as Error).message)}`);
    }
    return { name: path.basename(spec).replace(/\.json$/i, ''), build: (backend, seed) => Sequential.fromConfig(cfg, { backend, seed }) };
  }
  let model;
  try {
    model = resolveModel(spec, { owner: `scratchnet ${cmd}`, otherwise: 'a JSON file describing a Sequential stack (e.g. --model my-net.json)' });
  } catch (e) {
    throw new CliError(oneLine((e as Error).message));
  }
  return { name: model.name, build: (backend, seed) => model.build({ backend, seed }) };
}

export function buildNetwork(cmd: string, choice: ModelChoice, backend: Backend, seed: number): Sequential {
  try {
    return choice.build(backend, seed);
  } catch (e) {
    throw new CliError(`scratchnet ${cmd}: cannot build model ${choice.name}: ${oneLine((e as Error).message)}`);
  }
}

export interface DataChoice {
  dir?: string;
  trainSize?: number;
  testSize?: number;
}

export function dataOptions(cmd: string, v: ParsedValues): DataChoice {
  const dir = str(v, 'data');
  if (dir !== undefined && !fs.existsSync(dir)) {
    throw new CliError(`scratchnet ${cmd}: --data ${dir}: no such directory. Give a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz), or leave --data out for the embedded MNIST.`);
  }
  return {
    dir,
    trainSize: num(cmd, v, 'train-size', { int: true, min: 1 }),
    testSize: num(cmd, v, 'test-size', { int: true, min: 1 }),
  };
}

/** MNIST (or --data), the first --train-size / --test-size samples, shaped for the model (lib/data/subset.ts). */
export function loadData(cmd: string, d: DataChoice, inputShape: number[]): { xTrain: ImageSet; tTrain: LabelSet; xTest: ImageSet; tTest: LabelSet } {
  const owner = `scratchnet ${cmd}`;
  try {
    return loadMnistSubset({ dir: d.dir, trainSize: d.trainSize, testSize: d.testSize, sampleShape: inputShape },
      { owner, trainSize: '--train-size', testSize: '--test-size' });
  } catch (e) {
    const message = oneLine((e as Error).message);
    throw new CliError(message.startsWith(`${owner}:`) ? message : `${owner}: ${message}`);
  }
}

/**
 * The trained network for eval/predict: --run <dir> (params.safetensors + model.json) or
 * --params <file>; the model from --model, else the run's model.json, else the parameter
 * file's own metadata (saveParams records the model description).
 */
export function loadTrained(cmd: string, v: ParsedValues, backend: Backend): { net: Sequential; paramsPath: string; modelName: string } {
  const run = str(v, 'run');
  let paramsPath = str(v, 'params');
  if (!run && !paramsPath) {
    throw new CliError(`scratchnet ${cmd}: which network? Give --run <dir> (a directory written by scratchnet train) or --params <file.safetensors>.`);
  }
  if (run) {
    if (!fs.existsSync(run) || !fs.statSync(run).isDirectory()) {
      throw new CliError(`scratchnet ${cmd}: --run ${run}: no such directory (expected the --out directory of scratchnet train).`);
    }
    paramsPath ??= path.join(run, 'params.safetensors');
  }
  if (!fs.existsSync(paramsPath!)) {
    throw new CliError(`scratchnet ${cmd}: parameter file ${paramsPath} does not exist${run ? ' (the run may not have finished; a checkpoint.safetensors can be resumed with scratchnet train --resume)' : ''}.`);
  }
  let file;
  try {
    file = loadSafetensors(paramsPath!);
  } catch (e) {
    throw new CliError(`scratchnet ${cmd}: ${oneLine((e as Error).message)}`);
  }
  let choice: ModelChoice;
  const modelFlag = str(v, 'model');
  const runModel = run ? path.join(run, 'model.json') : null;
  if (modelFlag) choice = chooseModel(cmd, modelFlag);
  else if (runModel && fs.existsSync(runModel)) {
    choice = chooseModel(cmd, runModel);
    choice.name = readRunName(run!) ?? choice.name;
  } else if (file.metadata && typeof file.metadata.model === 'string') {
    let cfg: ModelConfig;
    try {
      cfg = JSON.parse(file.metadata.model);
    } catch {
      throw new CliError(`scratchnet ${cmd}: ${paramsPath} has a corrupt model description in its metadata; pass --model.`);
    }
    choice = chooseModel(cmd, cfg);
  } else {
    throw new CliError(`scratchnet ${cmd}: cannot tell which model ${paramsPath} belongs to (no model.json beside it, no model in its metadata). Fix: pass --model ${presetNames.join('|')}|<file.json>.`);
  }
  const net = buildNetwork(cmd, choice, backend, 0);
  try {
    net.setParams(file.tensors, `the file ${paramsPath}`);
  } catch (e) {
    throw new CliError(`scratchnet ${cmd}: ${oneLine((e as Error).message)}`);
  }
  return { net, paramsPath: paramsPath!, modelName: choice.name };
}

function readRunName(run: string): string | null {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    return typeof r.model === 'string' ? r.model : null;
  } catch {
    return null;
  }
}

/** Plain text table; columns listed in `right` are right-aligned. */
export function table(rows: string[][], right: number[] = []): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => (right.includes(j) ? c.padStart(w[j]) : c.padEnd(w[j]))).join('  ').trimEnd()).join('\n');
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
