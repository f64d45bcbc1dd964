import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parseTokenResponse } from "./responses.js";
import type { StoredToken, TokenStore } from "./types.js";
import { readOpenFile } from "./read-open-file.js";

const FORMAT_VERSION = 1;
const MAX_FILE_BYTES = 64 * 1024;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
let tempCounter = 0;

/**
 * FNV-1a, 64 bits, as 16 hex digits: names cache files. Not node:crypto, whose loading alone was a
 * fifth of a `mantle-vend token` run (tools run it before every request). Names only need to differ
 * and not give the key away: 64 bits of a hash say nothing usable about a 256-bit secret, and only
 * the user can list the 0700 directory.
 */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, "0");
}

/** `$XDG_CACHE_HOME/mantle-vend` (when absolute, as the XDG spec requires), else `~/.cache/mantle-vend`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg !== undefined && xdg !== "" && isAbsolute(xdg)) return join(xdg, "mantle-vend");
  return join(homedir(), ".cache", "mantle-vend");
}

export interface FileTokenCacheOptions {
  /** The normalised service URL. */
  url: string;
  /**
   * The whole API key. Entries are found by a hash of it (a right key id with a wrong secret finds
   * nothing); the key itself, and the sha256 the server stores, are never written anywhere.
   */
  apiKey: string;
  /** Defaults to {@link defaultCacheDir}. */
  dir?: string;
}

/**
 * Per-user token cache on disk, shared by every `mantle-vend` process of the user (token, env, exec,
 * openclaw-resolver). One file per (server URL, API key, region), named by a hash of the three; mode 0600
 * in a 0700 directory; written atomically (temporary file + rename). It holds the server's token answer
 * and when it was asked for — never the API key.
 *
 * A file that is not a regular file of this user with no group/other permission bits, or that does not
 * parse, is ignored (and replaced by the next save): it is never trusted.
 */
export class FileTokenCache implements TokenStore {
  readonly dir: string;
  private readonly url: string;
  /** A hash of the API key under this cache's own label, so it differs from the hash the server stores. */
  private readonly keyHash: string;
  private readonly uid: number | undefined;

  constructor(options: FileTokenCacheOptions) {
    this.dir = options.dir ?? defaultCacheDir();
    this.url = options.url;
    this.keyHash = fnv1a64(`mantle-vend token cache\n${options.apiKey}`);
    this.uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  }

  /** The file that holds the token of `region` (`""` = the server's default region). */
  pathFor(region: string): string {
    return join(this.dir, `token-${fnv1a64(`${this.url}\n${this.keyHash}\n${region === "" ? "@default" : region}`)}.json`);
  }

  load(region: string): StoredToken | undefined {
    const text = this.readTrusted(this.pathFor(region));
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as { v?: unknown; requestedAt?: unknown; token?: unknown };
      if (value.v !== FORMAT_VERSION || typeof value.requestedAt !== "number" || !Number.isFinite(value.requestedAt)) return undefined;
      return { token: parseTokenResponse(value.token), requestedAt: value.requestedAt };
    } catch {
      return undefined;
    }
  }

  save(region: string, entry: StoredToken): void {
    if (!this.ensureDir()) return;
    const target = this.pathFor(region);
    // O_EXCL below refuses a name that exists: pid, time and a counter tell live writers apart.
    const temp = join(this.dir, `.tmp-${process.pid}-${Date.now().toString(36)}-${(tempCounter++).toString(36)}`);
    const body = `${JSON.stringify({ v: FORMAT_VERSION, requestedAt: entry.requestedAt, token: entry.token })}\n`;
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, body);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temp, target);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  delete(region: string): void {
    try {
      unlinkSync(this.pathFor(region));
    } catch {
      // Absent already.
    }
  }

  /** The file's text if it is a regular file owned by this user without group/other bits; else undefined. */
  private readTrusted(file: string): string | undefined {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
    } catch {
      return undefined; // absent, a symlink (ELOOP), unreadable
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
      if (this.uid !== undefined && stat.uid !== this.uid) return undefined;
      if ((stat.mode & 0o077) !== 0) return undefined;
      return readOpenFile(fd, stat.size).toString("utf8");
    } finally {
      closeSync(fd);
    }
  }

  /** Creates the directory 0700; refuses one that is not a directory of this user; tightens its mode. */
  private ensureDir(): boolean {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(this.dir);
    if (!stat.isDirectory()) return false;
    if (this.uid !== undefined && stat.uid !== this.uid) return false;
    if ((stat.mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
    return true;
  }
}
