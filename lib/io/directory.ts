// Creating directories and explaining file-system errors in words. Node's own
// mkdirSync(dir, { recursive: true }) loops for ever under /proc (each mkdir fails with ENOENT,
// the parent exists, so it retries), and reports a read-only file system as ENOENT; this one
// walks down from the deepest existing ancestor, one mkdir per missing level, and stops at the
// first refusal with that level's real reason.
import * as fs from 'node:fs';
import * as path from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted there',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'something else already exists under that name',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files are open',
  EIO: 'an input/output error occurred (failing disk or network file system?)',
};

/** A short reason for a file-system error, in words ('the file system is read-only'), falling back to its message. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason = e && typeof e.code === 'string' ? REASONS[e.code] : undefined;
  return reason ? `${reason} (${e.code})` : err instanceof Error ? err.message : String(err);
}

/**
 * Creates `dir` and any missing parents. Throws an Error naming the level that could not be
 * created and why; its `code` is the system error code.
 */
export function makeDirectory(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let cur = abs; ; cur = path.dirname(cur)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch (e) {
      // ENOTDIR: an ancestor is a file; walking on up finds it and names it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(`cannot create ${dir}: cannot inspect ${cur}: ${describeFsError(e)}`, e);
    }
    if (st) {
      if (!st.isDirectory()) throw fsError(`cannot create ${dir}: ${cur} is a file, not a directory`, Object.assign(new Error(''), { code: 'ENOTDIR' }));
      break;
    }
    missing.push(cur);
    if (path.dirname(cur) === cur) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue; // made by someone else meanwhile
      // ENOENT although the parent exists: a virtual file system (/proc, /sys) that has no place for directories.
      const why = code === 'ENOENT' ? `${path.dirname(d)} does not accept new directories (a virtual file system such as /proc or /sys?)` : describeFsError(e);
      throw fsError(`cannot create ${d}: ${why}`, e);
    }
  }
}

function fsError(message: string, cause: unknown): Error {
  const err = new Error(message) as NodeJS.ErrnoException & { cause?: unknown };
  err.cause = cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code) err.code = code;
  return err;
}
