// Loads the C++ addon. When it is missing, says why (the build script recorded the reason)
// and how to fix it, instead of a bare "Cannot find module".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './types';

/** The package root: dist/lib/backend → three levels up. */
export const packageRoot = path.resolve(__dirname, '..', '..', '..');
export const addonPath = path.join(packageRoot, 'build', 'Release', 'scratchnet_native.node');
const failureFile = path.join(packageRoot, 'build', 'native-build-failure.txt');

export interface NativeLoadResult {
  backend: Backend | null;
  /** Why the addon is not available, with the fix; null when it loaded. */
  error: string | null;
}

let cached: NativeLoadResult | null = null;

export function loadNative(): NativeLoadResult {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const addon = require(addonPath);
    const backend = Object.freeze({ ...addon, name: 'native' as const }) as Backend;
    cached = { backend, error: null };
  } catch (e) {
    cached = { backend: null, error: explainLoadFailure(e as Error) };
  }
  return cached;
}

function explainLoadFailure(e: Error): string {
  const lines: string[] = [];
  if (fs.existsSync(failureFile)) {
    lines.push(`The native addon was not built when scratchnet was installed:`);
    lines.push(fs.readFileSync(failureFile, 'utf8').trim());
  } else if (!fs.existsSync(addonPath)) {
    lines.push(`The native addon ${addonPath} does not exist (the install step was skipped or the build folder was removed).`);
    lines.push(`Fix: sudo apt-get install -y cmake g++ libopenblas-dev pkg-config && npm run build:native`);
  } else {
    lines.push(`The native addon ${addonPath} exists but could not be loaded: ${e.message}`);
    lines.push(
      /openblas/i.test(e.message)
        ? `Fix: the OpenBLAS runtime library is missing: sudo apt-get install -y libopenblas0 (or libopenblas-dev), then npm run build:native`
        : `Fix: rebuild it for this Node.js version: npm run build:native`,
    );
  }
  return lines.join('\n');
}
