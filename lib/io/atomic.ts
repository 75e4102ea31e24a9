// Saving a model or checkpoint must never leave a half-written file where a good one was:
// training runs are long and get interrupted (Ctrl-C, OOM killer, full disk). We write a temp
// file next to the target, flush it to disk, then rename over the target — rename within one
// directory is atomic on POSIX, so readers see either the old file or the complete new one.
import * as fs from 'fs';
import * as path from 'path';
import { describeFsError, makeDirectory } from './directory';

export interface AtomicWriteOptions {
  /**
   * Called after the temp file is complete and synced, just before the rename. Lets tests (and
   * callers who verify what they wrote) inject a failure at the last possible moment; throwing
   * here aborts the save, removes the temp file and leaves the target untouched.
   */
  beforeRename?: (tempPath: string) => void;
}

let counter = 0;

/** A temp name in the target's directory, unique across processes and calls. Dot-prefixed so globs skip it. */
function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const rand = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  counter = (counter + 1) >>> 0;
  return path.join(dir, `.${base}.${process.pid}.${counter}.${rand}.tmp`);
}

/** True when `name` is a temp file that writeFileAtomic creates for `targetBase` (used by tests and cleanup tools). */
export function isAtomicTempName(name: string, targetBase: string): boolean {
  return name.startsWith(`.${targetBase}.`) && name.endsWith('.tmp');
}

/** Pid of the process that created a writeFileAtomic temp name, or null when the name is not one. */
function tempOwner(name: string): number | null {
  const m = /^\..+\.(\d+)\.\d+\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? Number(m[1]) : null;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Removes the temp files that killed writers (kill -9, power loss) left in `dir`: those whose
 * creating process no longer runs. A live writer's temp file is left alone. Returns the names
 * removed; a missing directory is not an error.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempOwner(name);
    if (pid === null || isAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch { /* gone already, or not ours to remove: leave it */ }
  }
  return removed;
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable. Not every platform lets you open a directory (Windows),
  // and some filesystems refuse fsync on one; the data is already synced, so skip quietly.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already reported nothing; nothing to do */ }
    }
  }
}

/**
 * Writes `chunks` (one buffer or several, written back to back) to `target` atomically:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 * Parent directories are created. On any error the temp file is removed and the error is
 * rethrown with the target path named; the previous file at `target`, if any, is untouched.
 */
export function writeFileAtomic(target: string, chunks: Uint8Array | Uint8Array[], options: AtomicWriteOptions = {}): void {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  const dir = path.dirname(path.resolve(target));
  let tmp: string | undefined;
  let fd: number | undefined;
  try {
    makeDirectory(dir);
    tmp = tempPathFor(path.resolve(target));
    // 'wx': never follow or clobber something that already has this name.
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (let i = 0; i < list.length; i++) {
      const chunk = list[i];
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`chunk ${i} is not a Uint8Array (received ${describe(chunk)})`);
      }
      let done = 0;
      // writeSync may write less than asked (signals, pipes, some network filesystems).
      while (done < chunk.length) {
        done += fs.writeSync(fd, chunk, done, chunk.length - done);
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (options.beforeRename) options.beforeRename(tmp);
    fs.renameSync(tmp, target);
    tmp = undefined;
    fsyncDirectory(dir);
  } catch (err) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* the original error matters more */ }
    }
    if (tmp !== undefined) {
      try { fs.unlinkSync(tmp); } catch { /* may not exist if open failed */ }
    }
    // "the file system is read-only (EROFS)" rather than "EROFS: read-only file system, open '/x/.params…tmp'".
    const message = err instanceof Error ? err.message : String(err);
    const reason = message.startsWith('cannot create') ? message : describeFsError(err);
    const wrapped = new Error(
      `writeFileAtomic: could not save ${target}: ${reason}. The previous file (if any) was left unchanged.`,
    );
    (wrapped as Error & { cause?: unknown }).cause = err;
    if (err && typeof err === 'object' && 'code' in err) (wrapped as NodeJS.ErrnoException).code = (err as NodeJS.ErrnoException).code;
    throw wrapped;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
