// bench-floor's PyTorch side: finds a Python that imports torch and trains the same network with
// scripts/bench-floor-torch.py (built from scratchnet's own description of it).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../lib/backend/native';
import { defaultMnistDir, findMnistFiles } from '../../lib/data/mnist';
import type { Sequential } from '../../lib/networks/sequential';
import { Convolution } from '../../lib/layers/convolution';
import { Pooling } from '../../lib/layers/pooling';

export interface TorchPython {
  python: string;
  version: string;
}

export interface TorchRun {
  torch: string;
  threads: number;
  params: number;
  imagesPerEpoch: number;
  epochSeconds: number[];
  testAccuracy: number;
  /** torch's printout of the model, for the record. */
  model: string;
}

const SCRIPT = path.join(packageRoot, 'scripts', 'bench-floor-torch.py');

/**
 * The first interpreter that imports torch: `explicit`, or python3 on the PATH, then
 * /usr/bin/python3 (Debian's python3-torch lives there; a pyenv python3 earlier on the PATH
 * hides it). Returns the reason when there is none.
 */
export function findTorch(explicit: string | undefined): TorchPython | { unavailable: string } {
  const candidates = explicit ? [explicit] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return { unavailable: `no Python imports torch (${tried.join('; ')}). Fix: apt-get install python3-torch, or pass --python <interpreter with torch>` };
}

/** What the Python side needs to rebuild the network: the layer descriptions with their inferred output shapes and pads. */
function networkSpec(net: Sequential): string {
  const config = net.toConfig();
  // pad as the layer resolved it (a padding: 'same' is worked out from the input at build).
  const layers = config.layers.map((l, i) => {
    const layer = net.layers[i];
    const pad = layer instanceof Convolution || layer instanceof Pooling ? { pad: layer.pad } : {};
    return { ...l, ...pad, outputShape: layer.outputShape };
  });
  const params = Object.values(net.params).reduce((a, p) => a + p.size, 0);
  return JSON.stringify({ inputShape: net.inputShape, layers, params });
}

/**
 * The environment that caps PyTorch's vector ISA at scratchnet's SIMD path when that path is
 * narrower than the CPU's widest (SCRATCHNET_SIMD=avx2 on an AVX-512 machine): oneDNN, which
 * runs PyTorch's convolutions (ONEDNN_MAX_CPU_ISA, and DNNL_MAX_CPU_ISA for older oneDNN), and
 * ATen's own kernels (ATEN_CPU_CAPABILITY) — so that the AVX2 column compares two AVX2 builds, as
 * on an AVX2 machine, not scratchnet's AVX2 kernels with PyTorch's AVX-512 ones. Variables the
 * user set are kept; `full` leaves PyTorch at the CPU's widest. Empty when nothing is capped.
 */
export function torchIsaCaps(simd: string, widest: string, full: boolean, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (full || simd === widest) return {};
  const caps: Record<string, string> = simd === 'avx2'
    ? { ONEDNN_MAX_CPU_ISA: 'AVX2', DNNL_MAX_CPU_ISA: 'AVX2', ATEN_CPU_CAPABILITY: 'avx2' }
    : simd === 'sse2' ? { ONEDNN_MAX_CPU_ISA: 'SSE41', DNNL_MAX_CPU_ISA: 'SSE41', ATEN_CPU_CAPABILITY: 'default' } : {};
  for (const k of Object.keys(caps)) if (env[k] !== undefined) delete caps[k];
  return caps;
}

/**
 * Trains `net`'s architecture with PyTorch (its own initialisation from the same scheme) for
 * `epochs` epochs on the first `trainSize` MNIST training images, `threads` torch threads and
 * OPENBLAS_NUM_THREADS=1 (torch's own pool does the threading), `env` added to its environment. Throws with the script's message
 * when it fails, e.g. on a network that does not match scratchnet's.
 */
export function trainWithTorch(py: TorchPython, net: Sequential,
  opts: { epochs: number; seed: number; trainSize: number; threads: number; env?: Record<string, string> }): TorchRun {
  const files = findMnistFiles(defaultMnistDir());
  const args = [
    SCRIPT, '--spec', networkSpec(net),
    '--train-images', files.trainImages, '--train-labels', files.trainLabels,
    '--test-images', files.testImages, '--test-labels', files.testLabels,
    '--train-size', String(opts.trainSize), '--epochs', String(opts.epochs),
    '--seed', String(opts.seed), '--threads', String(opts.threads),
  ];
  const r = spawnSync(py.python, args, {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20,
  });
  if (r.status !== 0) {
    throw new Error(`the PyTorch run (${py.python} ${SCRIPT}) failed${r.error ? `: ${r.error.message}` : ` with exit ${r.status}`}: ${r.stderr.trim()}`);
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as TorchRun;
}
