// Which backend runs the kernels. The default is the native addon; when it is not available
// scratchnet falls back to the reference backend and warns once, saying why and how to fix it.
import type { Backend, BackendName } from './types';
import { loadNative } from './native';
import { referenceBackend } from './reference';

export type { Backend, BackendName } from './types';
export { loadNative } from './native';
export { referenceBackend } from './reference';

let current: Backend | null = null;
let warned = false;

/** The backend of that name. 'native' throws, with the reason and the fix, when the addon is not available. */
export function resolveBackend(name: BackendName | Backend): Backend {
  if (typeof name === 'object') return name;
  if (name === 'reference') return referenceBackend;
  if (name === 'native') {
    const r = loadNative();
    if (!r.backend) {
      throw new Error(`scratchnet: the native backend is not available.\n${r.error}\nOr choose backend 'reference' (slow, pure TypeScript).`);
    }
    return r.backend;
  }
  throw new TypeError(`scratchnet: unknown backend '${String(name)}'; expected 'native' or 'reference'.`);
}

/** Selects the backend every new network uses unless given its own. */
export function setBackend(name: BackendName | Backend): Backend {
  current = resolveBackend(name);
  return current;
}

/** The backend in use: native when the addon loaded, else reference (with a one-time warning). */
export function getBackend(): Backend {
  if (current) return current;
  const r = loadNative();
  if (r.backend) {
    current = r.backend;
  } else {
    if (!warned && process.env.SCRATCHNET_SILENT !== '1') {
      warned = true;
      process.emitWarning(`scratchnet is running on the slow reference backend.\n${r.error}`, 'ScratchnetWarning');
    }
    current = referenceBackend;
  }
  return current;
}

/** Whether the native addon loaded, and why not when it did not. */
export function nativeStatus(): { loaded: boolean; error: string | null } {
  const r = loadNative();
  return { loaded: r.backend !== null, error: r.error };
}
