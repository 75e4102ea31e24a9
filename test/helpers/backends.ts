// Which backends the kernel suites run against. The reference backend always; the native one
// when the addon loaded — otherwise its tests are registered as skipped with the loader's reason
// in the title, so a missing addon is visible in every run instead of silently passing.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Backend } from '../../lib/backend/types';
import { loadNative } from '../../lib/backend/native';
import { referenceBackend } from '../../lib/backend/reference';

export const native = loadNative();
export const nativeBackend: Backend | null = native.backend;
export const reference: Backend = referenceBackend;

/** First line of the loader's reason, short enough for a test title. */
export const nativeSkipReason: string = native.error
  ? `native backend not loaded: ${native.error.split('\n')[0]}`
  : '';

/** Registers `body` once per backend: "title [reference]" and "title [native]". */
export function eachBackend(title: string, body: (t: ExecutionContext, b: Backend) => void | Promise<void>): void {
  test(`${title} [reference]`, (t) => body(t, referenceBackend));
  if (nativeBackend) {
    const nb = nativeBackend;
    test(`${title} [native]`, (t) => body(t, nb));
  } else {
    test.skip(`${title} [native] — SKIPPED, ${nativeSkipReason}`, () => undefined);
  }
}

/**
 * The SGEMM implementations the native addon can switch between (its non-contract export
 * setGemm); comparisons that go through GEMM run under each. Empty when the addon has no choice.
 */
export function gemmChoices(nb: Backend): Array<{ name: string; select: () => void; restore: () => void }> {
  const setGemm = (nb as unknown as { setGemm?: (name: string) => void }).setGemm;
  if (typeof setGemm !== 'function') return [];
  return ['openblas', 'builtin'].map((name) => ({
    name,
    select: () => setGemm(name),
    restore: () => setGemm('auto'),
  }));
}

/** Thread counts the native comparisons run under. */
export const THREAD_COUNTS = [1, 2] as const;

/**
 * Registers a native-vs-reference comparison. `body` gets the native backend and the reference;
 * it is called once per thread count with native set to that many threads (restored afterwards).
 */
export function nativeVsReference(title: string,
  body: (t: ExecutionContext, nb: Backend, ref: Backend, threads: number) => void): void {
  if (!nativeBackend) {
    test.skip(`${title} — SKIPPED, ${nativeSkipReason}`, () => undefined);
    return;
  }
  const nb = nativeBackend;
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
