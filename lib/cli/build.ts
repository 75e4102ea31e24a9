// scratchnet build: compile the native addon from source on this machine (the same as
// `npm run build:native` in a clone). For a platform without a prebuilt addon, or to build with
// this machine's compiler; the result (build/Release) is loaded before the prebuilt one.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { type CommandSpec, CliError, flag, helpText, parseCommand } from './options';
import { io } from './common';
import { addonPath, packageRoot } from '../backend/native';

export const buildSpec: CommandSpec = {
  name: 'build',
  summary: 'compile the native addon from source (needs cmake and g++; OpenBLAS optional)',
  usage: 'scratchnet build',
  options: {},
  examples: ['sudo apt-get install -y cmake g++ && npx scratchnet build', 'SCRATCHNET_TARGETS="avx2;sse2" npx scratchnet build'],
};

export async function buildCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommand(buildSpec, argv);
  if (flag(v, 'help')) {
    io.out(helpText(buildSpec));
    return 0;
  }
  const script = path.join(packageRoot, 'scripts', 'build-native.js');
  const r = spawnSync(process.execPath, [script, '--strict'], { cwd: packageRoot, stdio: 'inherit' });
  if (r.error) throw new CliError(`scratchnet build: could not run ${script}: ${r.error.message}`, 1);
  if (r.status !== 0) {
    throw new CliError('scratchnet build: the addon was not built (the reason and the fix are printed above).', 1);
  }
  io.out(`The local build ${addonPath} is now loaded before the prebuilt addon; \`npx scratchnet info\` shows which is in use.`);
  return 0;
}
