// How much memory this process may use, and a guard for large buffers. A typed array far beyond
// it either fails with V8's bare "Array buffer allocation failed" / "Invalid typed array length"
// (naming nothing), or — Linux overcommits — succeeds and then gets the process killed by the
// OOM killer while the weights are initialised. Asking first lets the caller name the layer.
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface MemoryLimit {
  bytes: number;
  /** Where the limit comes from, for messages. */
  source: string;
}

let cached: MemoryLimit | null = null;

function readNumber(file: string): number | null {
  try {
    const s = fs.readFileSync(file, 'utf8').trim();
    const v = Number(s);
    return /^\d+$/.test(s) && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** `ulimit -v` (RLIMIT_AS) from /proc/self/limits, in bytes; null when unlimited or unknown. */
function addressSpaceLimit(): number | null {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max address space'));
    const soft = line?.slice('Max address space'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** The smallest of physical memory, the cgroup's memory limit and `ulimit -v`. */
export function memoryLimit(): MemoryLimit {
  if (cached) return cached;
  let best: MemoryLimit = { bytes: os.totalmem(), source: 'the physical memory' };
  const candidates: Array<[number | null, string]> = [
    [readNumber('/sys/fs/cgroup/memory.max'), "the container's memory limit (cgroup memory.max)"],
    [readNumber('/sys/fs/cgroup/memory/memory.limit_in_bytes'), "the container's memory limit (cgroup)"],
    [addressSpaceLimit(), 'the address-space limit (ulimit -v)'],
  ];
  for (const [bytes, source] of candidates) if (bytes !== null && bytes > 0 && bytes < best.bytes) best = { bytes, source };
  cached = best;
  return best;
}

export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Largest element count one buffer may have: the native kernels index int32 (kMaxElements in native/bindings/args.h). */
export const MAX_BUFFER_ELEMENTS = 2 ** 31 - 1;

/**
 * Why a buffer of `length` elements of `bytesPer` bytes cannot be allocated, or null when it
 * can be tried: more elements than the kernels address, or more bytes than the memory limit.
 */
export function bufferTooLarge(length: number, bytesPer: number): string | null {
  if (!Number.isSafeInteger(length) || length > MAX_BUFFER_ELEMENTS) {
    return `${length.toLocaleString('en-US')} values is more than the ${MAX_BUFFER_ELEMENTS.toLocaleString('en-US')} one buffer may hold`;
  }
  const bytes = length * bytesPer;
  const limit = memoryLimit();
  if (bytes > limit.bytes) {
    return `${length.toLocaleString('en-US')} values (${formatBytes(bytes)}) is more than ${limit.source}, ${formatBytes(limit.bytes)}`;
  }
  return null;
}

/** True for the RangeErrors V8 throws when a typed array cannot be created. */
export function isAllocationFailure(e: unknown): boolean {
  return e instanceof RangeError && /allocation failed|Invalid typed array length|Invalid array buffer length|Array buffer/i.test(e.message);
}
