/** Writing files so that a reader sees the old content or the new, never part of either. */
import { closeSync, constants, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** A file's new content, written and synced next to it, waiting to be renamed into place. */
export interface Staged {
  commit(): void;
  discard(): void;
}

/**
 * Writes `data` to a new temporary file next to `path` (mode `mode`, the owner `owner` when given and
 * allowed, created exclusively, synced). Missing parent directories are created 0700. Nothing is
 * visible at `path` until `commit()` renames it there; on a failure here nothing is left behind.
 */
export function stageFile(path: string, data: string, mode: number, owner?: { uid: number; gid: number }): Staged {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${(counter++).toString(36)}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    try {
      if (owner !== undefined) {
        try {
          fchownSync(fd, owner.uid, owner.gid);
        } catch {
          // Only root may give a file away; anyone else writes their own files.
        }
      }
      fchmodSync(fd, mode);
      const bytes = Buffer.from(data, "utf8");
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return {
    commit: () => renameSync(temp, path),
    discard: () => rmSync(temp, { force: true }),
  };
}

/** {@link stageFile} and commit at once. */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  const staged = stageFile(path, data, mode);
  try {
    staged.commit();
  } catch (error) {
    staged.discard();
    throw error;
  }
}
