// Loads the C++ addon and builds a backend from one of its SIMD targets. When the addon is
// missing, says why (the build script recorded the reason) and how to fix it, instead of a bare
// "Cannot find module".
//
// The addon carries its kernels once per SIMD target (x86-64: avx512, avx2, sse2; arm64: neon)
// and registers those this CPU can run. The default backend uses the widest, or the one the
// environment variable SCRATCHNET_SIMD names; nativeBackendFor() builds one for any other, which
// is how the tests run every path the machine supports against the reference backend.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './types';

/** The package root: dist/lib/backend → three levels up. */
export const packageRoot = path.resolve(__dirname, '..', '..', '..');
/** SCRATCHNET_NATIVE_ADDON points at another build of the addon (scripts/sanitize.sh loads the sanitizer build). */
export const addonPath = process.env.SCRATCHNET_NATIVE_ADDON
  ? path.resolve(process.env.SCRATCHNET_NATIVE_ADDON)
  : path.join(packageRoot, 'build', 'Release', 'scratchnet_native.node');
const failureFile = path.join(packageRoot, 'build', 'native-build-failure.txt');

/** A SIMD target of the addon. */
export type SimdTarget = 'avx512' | 'avx2' | 'sse2' | 'neon';

/** What `info()` of a native backend reports. */
export interface NativeInfo {
  /** The SIMD target these kernels were compiled for. */
  simd: SimdTarget;
  threads: number;
  /** The SGEMM in use, and how it was chosen: 'measured' at first use, 'SCRATCHNET_GEMM', or 'setGemm'. */
  gemm: 'openblas' | 'builtin';
  gemmReason: 'measured' | 'SCRATCHNET_GEMM' | 'setGemm' | 'default';
  /** The measurement behind a 'measured' choice: one pass over the networks' GEMM shapes, in ms. */
  gemmTiming?: { builtinMs: number; openblasMs: number };
  openblasConfig: string;
  openblasCoreName: string;
  /** Targets compiled into the addon, widest first, and those this CPU runs. */
  compiledTargets: SimdTarget[];
  supportedTargets: SimdTarget[];
}

/** The native backend: the kernel contract plus what only the addon has. */
export interface NativeBackend extends Backend {
  readonly name: 'native';
  readonly simd: SimdTarget;
  info(): NativeInfo;
  /** Which SGEMM the convolution and affine kernels use; 'auto' measures both again (or follows SCRATCHNET_GEMM). */
  setGemm(name: 'openblas' | 'builtin' | 'auto'): void;
  /** This machine's float32 FMA rate in GFLOP/s with this target's vectors, on every kernel thread, measured for about `seconds`. */
  fmaPeak(seconds: number): number;
}

/** The raw addon: shared exports plus one object of kernels per target the CPU runs. */
interface Addon {
  setNumThreads(n: number): void;
  getNumThreads(): number;
  openblasConfig: string;
  openblasCoreName: string;
  compiledTargets: SimdTarget[];
  supportedTargets: SimdTarget[];
  defaultTarget: SimdTarget;
  targetError: string | null;
  targets: Partial<Record<SimdTarget, Record<string, unknown> & { info(): Omit<NativeInfo, keyof AddonShared> }>>;
}
type AddonShared = Pick<NativeInfo, 'openblasConfig' | 'openblasCoreName' | 'compiledTargets' | 'supportedTargets'>;

export interface NativeLoadResult {
  backend: NativeBackend | null;
  /** Why the addon is not available, with the fix; null when it loaded. */
  error: string | null;
}

let addonCache: { addon: Addon | null; error: string | null } | null = null;
let cached: NativeLoadResult | null = null;
const backends = new Map<SimdTarget, NativeBackend>();

function loadAddon(): { addon: Addon | null; error: string | null } {
  if (addonCache) return addonCache;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const addon = require(addonPath) as Addon;
    if (!addon.targets || !Array.isArray(addon.supportedTargets)) {
      throw new Error('it predates SIMD dispatch (no targets export)');
    }
    if (addon.supportedTargets.length === 0) {
      throw new Error(`this CPU runs none of its SIMD targets (${addon.compiledTargets.join(', ')})`);
    }
    addonCache = { addon, error: null };
  } catch (e) {
    addonCache = { addon: null, error: explainLoadFailure(e as Error) };
  }
  return addonCache;
}

/** The default native backend: the widest target this CPU runs, or the one SCRATCHNET_SIMD names. */
export function loadNative(): NativeLoadResult {
  if (cached) return cached;
  const { addon, error } = loadAddon();
  if (!addon) {
    cached = { backend: null, error };
    return cached;
  }
  if (addon.targetError && process.env.SCRATCHNET_SILENT !== '1') {
    process.emitWarning(addon.targetError, 'ScratchnetWarning');
  }
  cached = { backend: nativeBackendFor(addon.defaultTarget), error: null };
  return cached;
}

/** The SIMD targets this CPU runs, widest first (empty when the addon is not available). */
export function nativeTargets(): SimdTarget[] {
  const { addon } = loadAddon();
  return addon ? [...addon.supportedTargets] : [];
}

/**
 * A native backend whose kernels are those compiled for `target`. Throws, naming the targets
 * there are, when the addon is missing or this CPU cannot run that target.
 */
export function nativeBackendFor(target: SimdTarget): NativeBackend {
  const known = backends.get(target);
  if (known) return known;
  const { addon, error } = loadAddon();
  if (!addon) throw new Error(`scratchnet: the native backend is not available.\n${error}`);
  const kernels = addon.targets[target];
  if (!kernels) {
    const why = addon.compiledTargets.includes(target)
      ? `this CPU cannot run it`
      : `the addon was not built with it (built: ${addon.compiledTargets.join(', ')})`;
    throw new RangeError(
      `scratchnet: no native SIMD target '${String(target)}': ${why}. The targets this CPU runs are ${addon.supportedTargets.join(', ')}.`,
    );
  }
  const shared: AddonShared = {
    openblasConfig: addon.openblasConfig,
    openblasCoreName: addon.openblasCoreName,
    compiledTargets: addon.compiledTargets,
    supportedTargets: addon.supportedTargets,
  };
  const backend = Object.freeze({
    ...kernels,
    setNumThreads: addon.setNumThreads,
    getNumThreads: addon.getNumThreads,
    name: 'native' as const,
    simd: target,
    info: (): NativeInfo => ({ ...kernels.info(), ...shared }) as NativeInfo,
  }) as unknown as NativeBackend;
  // Measure OpenBLAS against the built-in SGEMM once, for this target (or follow SCRATCHNET_GEMM).
  backend.setGemm('auto');
  backends.set(target, backend);
  return backend;
}

function explainLoadFailure(e: Error): string {
  const lines: string[] = [];
  if (fs.existsSync(failureFile)) {
    lines.push(`The native addon was not built when scratchnet was installed:`);
    lines.push(fs.readFileSync(failureFile, 'utf8').trim());
  } else if (!fs.existsSync(addonPath)) {
    lines.push(`The native addon ${addonPath} does not exist (the install step was skipped or the build folder was removed).`);
    lines.push(`Fix: sudo apt-get install -y cmake g++ libopenblas-dev pkg-config && npm run build:native`);
  } else {
    lines.push(`The native addon ${addonPath} exists but could not be loaded: ${e.message}`);
    lines.push(
      /openblas/i.test(e.message)
        ? `Fix: the OpenBLAS runtime library is missing: sudo apt-get install -y libopenblas0 (or libopenblas-dev), then npm run build:native`
        : `Fix: rebuild it for this Node.js version: npm run build:native`,
    );
  }
  return lines.join('\n');
}
