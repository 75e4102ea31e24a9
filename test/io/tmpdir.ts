// A fresh directory under os.tmpdir() per test, removed when the test ends (pass or fail).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ExecutionContext } from 'ava';

export function tempDir(t: ExecutionContext, prefix = 'scratchnet-io-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    // Restore write permission first in case a test made it read-only.
    try { fs.chmodSync(dir, 0o755); } catch { /* already gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Names in `dir` that look like leftovers of an atomic write. */
export function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
}
