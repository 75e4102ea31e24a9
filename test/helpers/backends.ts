// Which backends the kernel suites run against. The reference backend always; the native one
// when the addon loaded — otherwise its tests are registered as skipped with the loader's reason
// in the title, so a missing addon is visible in every run instead of silently passing. The
// native backend runs once per SIMD target this CPU supports (an AVX-512 machine also tests the
// AVX2 and SSE2 kernels), titled "[native avx2]" and so on.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Backend } from '../../lib/backend/types';
import { loadNative, nativeBackendFor, nativeTargets, type NativeBackend } from '../../lib/backend/native';
import { referenceBackend } from '../../lib/backend/reference';

export const native = loadNative();
export const nativeBackend: NativeBackend | null = native.backend;
export const reference: Backend = referenceBackend;

/** Every SIMD target's native backend, the default first. */
export const nativeBackends: NativeBackend[] = nativeBackend
  ? [nativeBackend, ...nativeTargets().filter((t) => t !== nativeBackend.simd).map((t) => nativeBackendFor(t))]
  : [];

/** First line of the loader's reason, short enough for a test title. */
export const nativeSkipReason: string = native.error
  ? `native backend not loaded: ${native.error.split('\n')[0]}`
  : '';

/** Registers `body` once per backend: "title [reference]" and "title [native]". */
export function eachBackend(title: string, body: (t: ExecutionContext, b: Backend) => void | Promise<void>): void {
  test(`${title} [reference]`, (t) => body(t, referenceBackend));
  if (nativeBackend) {
    for (const nb of nativeBackends) test(`${title} [native ${nb.simd}]`, (t) => body(t, nb));
  } else {
    test.skip(`${title} [native] — SKIPPED, ${nativeSkipReason}`, () => undefined);
  }
}

/**
 * The SGEMM implementations the native addon can switch between (its non-contract export
 * setGemm); comparisons that go through GEMM run under each. Empty when the addon has no choice.
 */
export function gemmChoices(b: Backend): Array<{ name: string; select: () => void; restore: () => void }> {
  if (b.name !== 'native') return [];
  const nb = b as NativeBackend;
  const info = nb.info();
  const before = info.gemm;
  // Without OpenBLAS on the machine (it is loaded at run time) the built-in SGEMM is the only one.
  const names = info.openblasFound ? (['openblas', 'builtin'] as const) : (['builtin'] as const);
  return names.map((name) => ({
    name,
    select: () => nb.setGemm(name),
    restore: () => nb.setGemm(before),
  }));
}

/** Thread counts the native comparisons run under. */
export const THREAD_COUNTS = [1, 2] as const;

/**
 * Registers a native-vs-reference comparison per SIMD target ("title [avx2]"). `body` gets the
 * native backend and the reference; it is called once per thread count with native set to that
 * many threads (restored afterwards).
 */
export function nativeVsReference(title: string,
  body: (t: ExecutionContext, nb: Backend, ref: Backend, threads: number) => void): void {
  if (!nativeBackend) {
    test.skip(`${title} — SKIPPED, ${nativeSkipReason}`, () => undefined);
    return;
  }
  for (const nb of nativeBackends) registerNativeVsReference(`${title} [${nb.simd}]`, nb, body);
}

function registerNativeVsReference(title: string, nb: NativeBackend,
  body: (t: ExecutionContext, nb: Backend, ref: Backend, threads: number) => void): void {
  test(title, (t) => {
    const before = nb.getNumThreads();
    try {
      for (const threads of THREAD_COUNTS) {
        nb.setNumThreads(threads);
        body(t, nb, referenceBackend, threads);
      }
    } finally {
      nb.setNumThreads(before);
    }
  });
}
