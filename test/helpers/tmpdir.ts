// Temporary directories for the suites: a fresh one under os.tmpdir() per test, removed when the
// test ends (pass or fail), or one per test file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import test, { type ExecutionContext } from 'ava';

export function tempDir(t: Pick<ExecutionContext, 'teardown'>, prefix = 'scratchnet-io-'): string {
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

/** One directory for a whole test file (runs sharing data sets), removed after its last test. */
export function suiteTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
