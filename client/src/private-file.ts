import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { readOpenFile } from "./read-open-file.js";

/*
 * Files only this user may read, in directories only this user may enter: the token cache and the
 * login session. What is read must be a regular file of this user with no group or other permission
 * bits, reached without following a symlink; anything else is ignored, never trusted. Writes are atomic
 * (a temporary file, then a rename) and 0600 from the first byte.
 */

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
let tempCounter = 0;

const currentUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined);

/** The file's text if it is a regular file of this user, without group/other bits, at most `maxBytes`; else undefined. */
export function readPrivateFile(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined; // absent, a symlink (ELOOP), unreadable
  }
  try {
    const stat = fstatSync(fd);
    const uid = currentUid();
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    if (uid !== undefined && stat.uid !== uid) return undefined;
    if ((stat.mode & 0o077) !== 0) return undefined;
    return readOpenFile(fd, stat.size).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` (and its parents) 0700; false for one that is not a directory of this user; tightens its mode. */
function ensurePrivateDir(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = currentUid();
  if (!stat.isDirectory()) return false;
  if (uid !== undefined && stat.uid !== uid) return false;
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return true;
}

/** Writes `text` to `dir/name` atomically, mode 0600; false when `dir` cannot be made private. */
export function writePrivateFile(dir: string, name: string, text: string): boolean {
  if (!ensurePrivateDir(dir)) return false;
  // O_EXCL below refuses a name that exists: pid, time and a counter tell live writers apart.
  const temp = join(dir, `.tmp-${process.pid}-${Date.now().toString(36)}-${(tempCounter++).toString(36)}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, join(dir, name));
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return true;
}
