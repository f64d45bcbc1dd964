import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, lstat, mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** How long a writer waits for another process's lock before it gives up with a clear error. */
const LOCK_WAIT_MS = 5_000;
/** A lock older than this belongs to a writer that died: a write holds it for milliseconds. */
const LOCK_STALE_MS = 30_000;
const LOCK_RETRY_MS = 10;

const NO_FOLLOW = constants.O_NOFOLLOW;

export interface JsonFileOptions {
  /** Injected so tests can age a lock without waiting. */
  clock?: () => number;
  /**
   * Flush each write to the disk before it replaces the file (default). Counters a crash may lose a
   * moment of skip it: under load the flushes hold up the thread pool every file read waits on.
   */
  durable?: boolean;
}

/**
 * One JSON object in a file of the local data dir, shared by every process that opens it (the local
 * server, `mantle-vend-admin --local`): reads see a writer's change at once, writers in any process
 * are serialised by an exclusive lock file, and each writes a temporary file of its own (random name,
 * created exclusively) and renames it in, so a reader never sees half a file. No path is followed if
 * it is a symlink. Errors are the file system's own; each user wraps them in its domain error.
 */
export class JsonFile<V> {
  private readonly file: string;
  private readonly lock: string;
  private readonly clock: () => number;
  private readonly durable: boolean;
  private writes: Promise<void> = Promise.resolve();
  /** The last parse, keyed by what fstat() says of the file: every write renames a new file in. */
  private cache: { stamp: string; all: Readonly<Record<string, V>> } | undefined;

  constructor(
    private readonly dir: string,
    name: string,
    /** Keeps the entries of a parsed document that have the expected shape. */
    private readonly entries: (parsed: unknown) => Record<string, V>,
    options: JsonFileOptions = {},
  ) {
    this.file = join(dir, name);
    this.lock = `${this.file}.lock`;
    this.clock = options.clock ?? Date.now;
    this.durable = options.durable ?? true;
  }

  async read(): Promise<Readonly<Record<string, V>>> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, constants.O_RDONLY | NO_FOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return {};
      if (code === "ELOOP") throw new Error(`${this.file} is a symlink; refusing to follow it`);
      throw error;
    }
    try {
      const info = await handle.stat({ bigint: true });
      const stamp = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      if (this.cache?.stamp === stamp) return this.cache.all;
      const all = this.entries(JSON.parse(await handle.readFile("utf8")));
      this.cache = { stamp, all };
      return all;
    } finally {
      await handle.close();
    }
  }

  /** Applies `change` to the current document and writes it back; serialised within the process and, by the lock file, across processes. */
  update<R>(change: (all: Record<string, V>) => R): Promise<R> {
    const next = this.writes.then(async () => {
      await this.prepareDir();
      await this.acquire();
      try {
        const all = { ...(await this.read()) };
        const result = change(all);
        await this.replace(`${JSON.stringify(all, null, 2)}\n`);
        return result;
      } finally {
        await unlink(this.lock).catch(() => undefined);
      }
    });
    this.writes = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async prepareDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const info = await lstat(this.dir);
    if (!info.isDirectory()) throw new Error(`${this.dir} is not a directory (a symlink?); refusing to write there`);
  }

  private async replace(text: string): Promise<void> {
    const temp = `${this.file}.${randomBytes(8).toString("hex")}.tmp`;
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
    try {
      await handle.writeFile(text);
      if (this.durable) await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(temp, this.file);
  }

  /** Creates the lock file exclusively, waiting a bounded time for another writer and breaking a stale lock. */
  private async acquire(): Promise<void> {
    const giveUpAt = this.clock() + LOCK_WAIT_MS;
    for (let attempt = 0; attempt <= LOCK_WAIT_MS / LOCK_RETRY_MS; attempt += 1) {
      try {
        const handle = await open(this.lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (await this.breakStaleLock()) continue;
      if (this.clock() >= giveUpAt) break;
      await sleep(LOCK_RETRY_MS * (0.5 + Math.random()));
    }
    throw new Error(`${this.lock} is held by another writer; if no mantle-vend process is running, delete it`);
  }

  /**
   * Moves a lock older than LOCK_STALE_MS aside. The move is atomic, so of two processes
   * breaking the same lock one wins; the loser, finding it moved a fresh lock instead,
   * puts that back (link fails if a third writer holds the lock by now, which is fine).
   */
  private async breakStaleLock(): Promise<boolean> {
    const seen = await lstat(this.lock).catch(() => undefined);
    if (seen === undefined) return true;
    if (this.clock() - seen.mtimeMs < LOCK_STALE_MS) return false;
    const aside = `${this.lock}.${randomBytes(8).toString("hex")}.stale`;
    try {
      await rename(this.lock, aside);
    } catch {
      return true;
    }
    const moved = await lstat(aside);
    if (moved.ino !== seen.ino) await link(aside, this.lock).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return true;
  }
}
