// Where bench-floor stands: the CPU, its vector ISA, the addon's SIMD path, and the FMA peak the
// compute floor is measured against.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Backend } from '../../lib/backend/types';

export interface Machine {
  /** e.g. "AMD EPYC (family 25, model 1)". */
  cpu: string;
  cores: number;
  /** From the CPU's flags, e.g. "AVX2 + FMA (no AVX-512)". */
  isa: string;
  /** The addon's info(): simd path in use, GEMM, OpenBLAS core; null when it has no info(). */
  addon: Record<string, unknown> | null;
}

export interface Peak {
  gflops: number;
  threads: number;
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

export function describeMachine(native: Backend): Machine {
  const f = cpuinfo();
  const model = f['model name'] ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const family = f['cpu family'] !== undefined ? ` (family ${f['cpu family']}, model ${f.model})` : '';
  const info = (native as unknown as { info?: () => Record<string, unknown> }).info;
  return {
    cpu: `${model}${family}`,
    cores: os.cpus().length,
    isa: vectorIsa(new Set((f.flags ?? '').split(/\s+/).filter(Boolean))),
    addon: typeof info === 'function' ? info() : null,
  };
}

/**
 * The FMA peak from the addon's fmaPeak(seconds) (all cores, widest vectors), or the reason it
 * cannot be measured. The export is new with the SIMD dispatch work; older builds lack it.
 */
export function measurePeak(native: Backend, seconds: number): Peak | { unavailable: string } {
  const fmaPeak = (native as unknown as { fmaPeak?: (s: number) => unknown }).fmaPeak;
  if (typeof fmaPeak !== 'function') return { unavailable: 'addon has no fmaPeak' };
  const r = fmaPeak(seconds) as Partial<Peak> | null;
  if (!r || typeof r.gflops !== 'number' || !(r.gflops > 0) || typeof r.threads !== 'number' || typeof r.simd !== 'string') {
    return { unavailable: `fmaPeak(${seconds}) returned ${JSON.stringify(r)}, expected { gflops > 0, threads, simd }` };
  }
  return { gflops: r.gflops, threads: r.threads, simd: r.simd, seconds };
}
