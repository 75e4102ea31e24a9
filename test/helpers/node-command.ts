// How tests start a child Node.js. Normally this very Node (process.execPath). Under qemu-user
// (scripts/test-arm64.sh) a child arm64 binary cannot be exec'ed directly (no binfmt_misc), so
// SCRATCHNET_TEST_NODE gives the whole command, e.g. "qemu-aarch64 -L /sysroot /x/node"; its
// deadlines are stretched by SCRATCHNET_TEST_SLOWDOWN (emulation is 10–50× slower).
import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';

const prefix = (process.env.SCRATCHNET_TEST_NODE ?? '').split(' ').filter((s) => s !== '');
const slowdown = Math.max(1, Number(process.env.SCRATCHNET_TEST_SLOWDOWN) || 1);

/** Whether the suite runs under an emulator (scripts/test-arm64.sh): speeds are then meaningless. */
export const emulated = prefix.length > 0;

/** spawnSync of a child Node with these arguments; `options.timeout` is scaled by the slowdown. */
export function spawnNodeSync(args: string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  const scaled = options.timeout ? { ...options, timeout: options.timeout * slowdown } : options;
  return prefix.length > 0
    ? spawnSync(prefix[0], [...prefix.slice(1), ...args], scaled)
    : spawnSync(process.execPath, args, scaled);
}
