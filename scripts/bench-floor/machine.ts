// Where bench-floor stands: the CPU, its vector ISA, the addon's SIMD path, and the FMA peak the
// compute floor is measured against.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { nativeBackendFor, nativeTargets, type NativeBackend, type NativeInfo } from '../../lib/backend/native';

export interface Machine {
  /** e.g. "AMD EPYC (family 25, model 1)". */
  cpu: string;
  cores: number;
  /** From the CPU's flags, e.g. "AVX2 + FMA (no AVX-512)". */
  isa: string;
  /** The addon's info() for the kernels in use: SIMD target, GEMM, OpenBLAS core, threads. */
  addon: NativeInfo;
}

export interface Peak {
  gflops: number;
  threads: number;
  /** The SIMD target whose vectors were measured: the widest this CPU runs. */
  simd: string;
  seconds: number;
}

/** The first processor's fields of /proc/cpuinfo ({} off Linux). */
function cpuinfo(): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return {};
  }
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') break;
    const i = line.indexOf(':');
    if (i > 0) fields[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return fields;
}

function vectorIsa(flags: Set<string>): string {
  if (flags.size === 0) return 'unknown (no /proc/cpuinfo flags)';
  const fma = flags.has('fma') ? ' + FMA' : '';
  if (flags.has('avx512f')) {
    const parts = ['avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni'].filter((f) => flags.has(f));
    return `AVX-512 (${parts.join(', ')})${fma}`;
  }
  if (flags.has('avx2')) return `AVX2${fma} (no AVX-512)`;
  if (flags.has('avx')) return `AVX${fma} (no AVX2)`;
  return 'SSE only (no AVX)';
}

export function describeMachine(native: NativeBackend): Machine {
  const f = cpuinfo();
  const model = f['model name'] ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const family = f['cpu family'] !== undefined ? ` (family ${f['cpu family']}, model ${f.model})` : '';
  return {
    cpu: `${model}${family}`,
    cores: os.cpus().length,
    isa: vectorIsa(new Set((f.flags ?? '').split(/\s+/).filter(Boolean))),
    addon: native.info(),
  };
}

/**
 * The machine's FMA peak: fmaPeak(seconds) of the widest SIMD target this CPU runs, on every
 * kernel thread — the limit even when SCRATCHNET_SIMD makes the kernels use narrower vectors.
 * Returns the reason when it cannot be measured (an addon built before fmaPeak existed).
 */
export function measurePeak(native: NativeBackend, seconds: number): Peak | { unavailable: string } {
  const widest = nativeTargets()[0] ?? native.simd;
  const backend = widest === native.simd ? native : nativeBackendFor(widest);
  if (typeof (backend as Partial<NativeBackend>).fmaPeak !== 'function') return { unavailable: 'addon has no fmaPeak' };
  const gflops = backend.fmaPeak(seconds);
  if (!(gflops > 0)) return { unavailable: `fmaPeak(${seconds}) returned ${String(gflops)}, expected GFLOP/s > 0` };
  return { gflops, threads: backend.getNumThreads(), simd: widest, seconds };
}
