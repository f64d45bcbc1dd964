import { readdirSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, join } from "node:path";
import { readPrivateFile, writePrivateFile } from "./private-file.js";
import { parseTokenResponse } from "./responses.js";
import type { StoredToken, TokenStore } from "./types.js";

const FORMAT_VERSION = 1;
const MAX_FILE_BYTES = 64 * 1024;

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

export type FileTokenCacheOptions = {
  /** The normalised service URL. */
  url: string;
  /** Defaults to {@link defaultCacheDir}. */
  dir?: string;
} & (
  | {
      /**
       * The whole API key. Entries are found by a hash of it (a right key id with a wrong secret finds
       * nothing); the key itself, and the sha256 the server stores, are never written anywhere.
       */
      apiKey: string;
    }
  | {
      /** Or the identity spec (`MANTLE_VEND_IDENTITY`): entries are found by it, never by the identity's token. */
      identity: string;
    }
);

/**
 * Per-user token cache on disk, shared by every `mantle-vend` process of the user (token, env, exec,
 * openclaw-resolver). One file per (server URL, API key or identity spec, region), named by hashes of
 * them; mode 0600 in a 0700 directory; written atomically (temporary file + rename). It holds the
 * server's token answer and when it was asked for — never the API key, never an identity's token.
 *
 * A file that is not a regular file of this user with no group/other permission bits, or that does not
 * parse, is ignored (and replaced by the next save): it is never trusted.
 */
export class FileTokenCache implements TokenStore {
  readonly dir: string;
  private readonly url: string;
  /** The files of this (URL, credential) start with this: a hash of the URL and of the credential under this cache's own label. */
  private readonly prefix: string;

  constructor(options: FileTokenCacheOptions) {
    this.dir = options.dir ?? defaultCacheDir();
    this.url = options.url;
    const credential = "apiKey" in options ? options.apiKey : `identity ${options.identity}`;
    // Under its own label, so the API key's hash differs from the one the server stores.
    const credentialHash = fnv1a64(`mantle-vend token cache\n${credential}`);
    this.prefix = `token-${fnv1a64(`${this.url}\n${credentialHash}`)}-`;
  }

  /** The file that holds the token of `region` (`""` = the server's default region). */
  pathFor(region: string): string {
    return join(this.dir, `${this.prefix}${fnv1a64(region === "" ? "@default" : region)}.json`);
  }

  load(region: string): StoredToken | undefined {
    const text = readPrivateFile(this.pathFor(region), MAX_FILE_BYTES);
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
    writePrivateFile(this.dir, basename(this.pathFor(region)), `${JSON.stringify({ v: FORMAT_VERSION, requestedAt: entry.requestedAt, token: entry.token })}\n`);
  }

  delete(region: string): void {
    try {
      unlinkSync(this.pathFor(region));
    } catch {
      // Absent already.
    }
  }

  /** Forgets every region's token of this (URL, credential): a logout must not leave a token of the person who left. */
  clear(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(this.prefix)) continue;
      try {
        unlinkSync(join(this.dir, name));
      } catch {
        // Gone already.
      }
    }
  }
}
