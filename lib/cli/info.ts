// scratchnet info: what is installed and what the kernels will run on.
import * as os from 'node:os';
import { type CommandSpec, flag, helpText, parseCommand } from './options';
import { io, version } from './common';
import { loadNative, loadedAddonPath } from '../backend/native';

export const infoSpec: CommandSpec = {
  name: 'info',
  summary: 'scratchnet version, native backend status, SIMD path, GEMM, OpenBLAS, threads, Node.js',
  usage: 'scratchnet info [--json]',
  options: { json: { type: 'boolean', help: 'machine-readable output' } },
};

export async function infoCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(infoSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(infoSpec));
    return 0;
  }
  const r = loadNative();
  const addon = r.backend ? r.backend.info() : null;
  const o = {
    scratchnet: version(),
    node: process.version,
    napi: process.versions.napi,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    native: {
      loaded: r.backend !== null,
      path: loadedAddonPath(),
      source: addon?.addonSource ?? null,
      error: r.error,
      ...(addon ? { info: addon } : {}),
    },
    // OpenBLAS is optional: loaded at run time when the machine has it, else the built-in SGEMM.
    openblas: addon
      ? { found: addon.openblasFound, library: addon.openblasLibrary, error: addon.openblasError,
          config: addon.openblasConfig, coreName: addon.openblasCoreName }
      : null,
    gemm: addon ? { inUse: addon.gemm, reason: addon.gemmReason } : null,
    defaultBackend: r.backend ? 'native' : 'reference',
  };
  if (flag(v, 'json')) {
    io.json(o);
    return 0;
  }
  io.out(`scratchnet ${o.scratchnet}`);
  io.out(`Node.js ${o.node} (N-API ${o.napi}) on ${o.platform}, ${o.cpus} CPUs (${o.cpuModel})`);
  if (r.backend) {
    if (addon) {
      io.out(`native backend: loaded (${addon.addonSource}: ${addon.addonPath})`);
      io.out(`  SIMD: ${addon.simd} kernels (this CPU runs ${addon.supportedTargets.join(', ')}; ` +
        `built: ${addon.compiledTargets.join(', ')}; force a lower one with SCRATCHNET_SIMD=<name>)`);
      const timing = addon.gemmTiming
        ? ` (measured on the networks' shapes: built-in ${addon.gemmTiming.builtinMs.toFixed(2)} ms, OpenBLAS ${addon.gemmTiming.openblasMs.toFixed(2)} ms)`
        : addon.gemmReason === 'SCRATCHNET_GEMM' ? ' (set by SCRATCHNET_GEMM)'
          : addon.gemmReason === 'no OpenBLAS' ? ' (OpenBLAS not found)' : '';
      io.out(`  GEMM: ${addon.gemm === 'builtin' ? 'built-in' : 'OpenBLAS'}${timing}`);
      io.out(addon.openblasFound
        ? `  OpenBLAS: found (${addon.openblasLibrary}): ${addon.openblasConfig} (core ${addon.openblasCoreName})`
        : `  OpenBLAS: not found (optional; sudo apt-get install -y libopenblas0 lets scratchnet measure it against the built-in GEMM)`);
      io.out(`  threads: ${addon.threads}`);
    }
  } else {
    io.out(`native backend: NOT loaded — scratchnet uses the slow reference backend.`);
    for (const line of (r.error ?? '').split('\n')) io.out(`  ${line}`);
  }
  io.out(`default backend: ${o.defaultBackend}`);
  return 0;
}
