// Loads the C++ addon and builds a backend from one of its SIMD targets. When no addon loads,
// says why (each place it looked, and the build script's recorded reason) and how to fix it,
// instead of a bare "Cannot find module".
//
// Where the addon comes from, first that loads wins:
//   1. SCRATCHNET_NATIVE_ADDON=<file>: that file and no other (a failure is an error, not a fallback);
//   2. build/Release/scratchnet_native.node: built on this machine (npm run build:native,
//      npx scratchnet build). It comes before the prebuilt one because it only exists when
//      someone asked for it, and in a clone it is the one carrying the kernels being edited;
//   3. prebuilds/<platform>-<arch>/scratchnet.node: shipped in the npm package (scripts/prebuild.js).
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
/** The addon built on this machine from source. */
export const addonPath = path.join(packageRoot, 'build', 'Release', 'scratchnet_native.node');
/** The addon shipped in the npm package for this platform. */
export const prebuiltAddonPath = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'scratchnet.node');
const failureFile = path.join(packageRoot, 'build', 'native-build-failure.txt');

/** Where the loaded addon came from. */
export type AddonSource = 'SCRATCHNET_NATIVE_ADDON' | 'local build' | 'prebuilt';

/** A SIMD target of the addon. */
export type SimdTarget = 'avx512' | 'avx2' | 'sse2' | 'neon';

/** What `info()` of a native backend reports. */
export interface NativeInfo {
  /** The SIMD target these kernels were compiled for. */
  simd: SimdTarget;
  threads: number;
  /** The SGEMM in use, and how it was chosen: 'measured' at first use, 'SCRATCHNET_GEMM', or 'setGemm'. */
  gemm: 'openblas' | 'builtin';
  /** 'no OpenBLAS': the library was not found when the addon loaded, so the built-in SGEMM is the only one. */
  gemmReason: 'measured' | 'SCRATCHNET_GEMM' | 'setGemm' | 'default' | 'no OpenBLAS';
  /** The measurement behind a 'measured' choice: one pass over the networks' GEMM shapes, in ms. */
  gemmTiming?: { builtinMs: number; openblasMs: number };
  /** Whether OpenBLAS was found at load (it is loaded at run time, never required). */
  openblasFound: boolean;
  /** The library file that was loaded (e.g. libopenblas.so.0), or null. */
  openblasLibrary: string | null;
  /** Why no OpenBLAS was loaded (the loader's messages), or null. */
  openblasError: string | null;
  /** OpenBLAS's build and the core it runs on ('' without OpenBLAS). */
  openblasConfig: string;
  openblasCoreName: string;
  /** The addon file, and where it came from. */
  addonPath: string;
  addonSource: AddonSource;
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
  openblasFound: boolean;
  openblasLibrary: string | null;
  openblasError: string | null;
  openblasConfig: string;
  openblasCoreName: string;
  compiledTargets: SimdTarget[];
  supportedTargets: SimdTarget[];
  defaultTarget: SimdTarget;
  targetError: string | null;
  targets: Partial<Record<SimdTarget, Record<string, unknown> & { info(): Omit<NativeInfo, keyof AddonShared> }>>;
}
type AddonShared = Pick<NativeInfo, 'openblasFound' | 'openblasLibrary' | 'openblasError' | 'openblasConfig' |
  'openblasCoreName' | 'addonPath' | 'addonSource' | 'compiledTargets' | 'supportedTargets'>;

export interface NativeLoadResult {
  backend: NativeBackend | null;
  /** Why the addon is not available, with the fix; null when it loaded. */
  error: string | null;
}

interface LoadedAddon {
  addon: Addon | null;
  path: string | null;
  source: AddonSource | null;
  error: string | null;
}
let addonCache: LoadedAddon | null = null;
let cached: NativeLoadResult | null = null;
const backends = new Map<SimdTarget, NativeBackend>();

/** The files to try, in order (see the top of this file). */
export function addonCandidates(): Array<{ file: string; source: AddonSource }> {
  const forced = process.env.SCRATCHNET_NATIVE_ADDON;
  if (forced) return [{ file: path.resolve(forced), source: 'SCRATCHNET_NATIVE_ADDON' }];
  return [
    { file: addonPath, source: 'local build' },
    { file: prebuiltAddonPath, source: 'prebuilt' },
  ];
}

function requireAddon(file: string): Addon {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const addon = require(file) as Addon;
  if (!addon.targets || !Array.isArray(addon.supportedTargets)) {
    throw new Error('it predates SIMD dispatch (no targets export)');
  }
  if (typeof addon.openblasFound !== 'boolean') {
    throw new Error('it predates run-time OpenBLAS loading (no openblasFound export)');
  }
  if (addon.supportedTargets.length === 0) {
    throw new Error(`this CPU runs none of its SIMD targets (${addon.compiledTargets.join(', ')})`);
  }
  return addon;
}

function loadAddon(): LoadedAddon {
  if (addonCache) return addonCache;
  const failures: Array<{ file: string; source: AddonSource; message: string }> = [];
  for (const { file, source } of addonCandidates()) {
    if (!fs.existsSync(file) && source !== 'SCRATCHNET_NATIVE_ADDON') continue;
    try {
      addonCache = { addon: requireAddon(file), path: file, source, error: null };
      return addonCache;
    } catch (e) {
      failures.push({ file, source, message: (e as Error).message.split('\n')[0] });
    }
  }
  addonCache = { addon: null, path: null, source: null, error: explainLoadFailure(failures) };
  return addonCache;
}

/** The addon file that loaded, or null. */
export function loadedAddonPath(): string | null {
  return loadAddon().path;
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
  const loaded = loadAddon();
  const shared: AddonShared = {
    openblasFound: addon.openblasFound,
    openblasLibrary: addon.openblasLibrary,
    openblasError: addon.openblasError,
    openblasConfig: addon.openblasConfig,
    openblasCoreName: addon.openblasCoreName,
    compiledTargets: addon.compiledTargets,
    supportedTargets: addon.supportedTargets,
    addonPath: loaded.path as string,
    addonSource: loaded.source as AddonSource,
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

function explainLoadFailure(failures: Array<{ file: string; source: AddonSource; message: string }>): string {
  const lines: string[] = [];
  const platform = `${process.platform}-${process.arch}`;
  for (const f of failures) {
    lines.push(`The ${f.source === 'SCRATCHNET_NATIVE_ADDON' ? 'addon named by SCRATCHNET_NATIVE_ADDON' : `${f.source} addon`} ${f.file} could not be loaded: ${f.message}`);
  }
  if (failures.some((f) => f.source === 'SCRATCHNET_NATIVE_ADDON')) {
    lines.push('Fix: point SCRATCHNET_NATIVE_ADDON at a scratchnet_native.node built for this platform, or unset it.');
  } else if (fs.existsSync(failureFile)) {
    lines.push(`The native addon was not built when scratchnet was installed:`);
    lines.push(fs.readFileSync(failureFile, 'utf8').trim());
  } else if (failures.length === 0) {
    lines.push(`No native addon for ${platform}: the package ships prebuilt ones for linux-x64 and linux-arm64 ` +
      `(glibc), and none was built here (${addonPath}).`);
    lines.push(`Fix: build it from source: sudo apt-get install -y cmake g++ && npx scratchnet build`);
  } else {
    lines.push(`Fix: build it from source for this machine: sudo apt-get install -y cmake g++ && npx scratchnet build` +
      ` (in a clone: npm run build:native)`);
  }
  return lines.join('\n');
}
