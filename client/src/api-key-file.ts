import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { MantleVendError } from "./errors.js";
import { readOpenFile } from "./read-open-file.js";

const MAX_KEY_FILE_BYTES = 4096;

/**
 * The API key held in `path` (surrounding whitespace trimmed). The file must be a regular file owned by
 * this user with no group or other permission bits (0600 or stricter), as ssh demands of its keys: a key
 * others can read is a key others have. Throws a MantleVendError (invalid_options) saying what to fix.
 */
export function readApiKeyFile(path: string, label = "the API key file"): string {
  const refuse = (why: string): MantleVendError =>
    new MantleVendError({ status: 0, code: "invalid_options", message: `${label} ${JSON.stringify(path)} ${why}` });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw refuse(`cannot be read (${code})`);
  }
  try {
    // Checked on the open descriptor, so what is checked is what is read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse("is not a regular file");
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (uid !== undefined && stat.uid !== uid) throw refuse(`must be owned by the user running mantle-vend (uid ${uid})`);
    if ((stat.mode & 0o077) !== 0) {
      throw refuse(`must not be readable or writable by group or others (chmod 600 ${JSON.stringify(path)})`);
    }
    if (stat.size > MAX_KEY_FILE_BYTES) throw refuse("is too large to hold an API key");
    const key = readOpenFile(fd, stat.size).toString("utf8").trim();
    if (key === "" || /\s/.test(key)) throw refuse("must hold the API key alone on one line");
    return key;
  } finally {
    closeSync(fd);
  }
}
