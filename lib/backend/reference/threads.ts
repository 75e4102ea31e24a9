// The reference backend is single-threaded: it records the requested count (so code that sets
// and reads it behaves the same on both backends) but always runs on the calling thread.
import { intArg } from './check';

// Same bound as the native pool, so both backends accept the same calls.
const MAX_THREADS = 256;
let requested = 1;

/** n ≥ 1: recorded only; the reference kernels do not use threads. */
export function setNumThreads(n: number): void {
  requested = intArg('setNumThreads', 'n', n, 1, MAX_THREADS);
}

export function getNumThreads(): number {
  return requested;
}
