import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Parameter, ParameterStore } from "./types.js";

/**
 * Parameters in one JSON file, for the local server and `mantle-vend-admin --local`.
 * Every call reads the file, so an admin's change is visible to a running server at
 * once; writes go through a temporary file and a rename so a reader never sees half.
 */
export class FileParameterStore implements ParameterStore {
  private readonly file: string;
  private writes: Promise<void> = Promise.resolve();
  /** The last parse, keyed by what stat() says of the file: every write renames a new file in. */
  private cache: { stamp: string; all: Readonly<Record<string, string>> } | undefined;

  constructor(private readonly dir: string) {
    this.file = join(dir, "parameters.json");
  }

  async get(name: string): Promise<string | undefined> {
    return (await this.read())[name];
  }

  async getMany(names: readonly string[]): Promise<Parameter[]> {
    const all = await this.read();
    return names.flatMap((name) => (all[name] === undefined ? [] : [{ name, value: all[name] }]));
  }

  async getByPath(path: string): Promise<Parameter[]> {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const all = await this.read();
    return Object.keys(all)
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => ({ name, value: all[name] as string }));
  }

  put(name: string, value: string): Promise<void> {
    return this.update((all) => {
      all[name] = value;
    });
  }

  delete(name: string): Promise<void> {
    return this.update((all) => {
      delete all[name];
    });
  }

  private async read(): Promise<Readonly<Record<string, string>>> {
    try {
      const info = await stat(this.file, { bigint: true });
      const stamp = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      if (this.cache?.stamp === stamp) return this.cache.all;
      const parsed: unknown = JSON.parse(await readFile(this.file, "utf8"));
      const all = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
      this.cache = { stamp, all };
      return all;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }

  /** Serialised so concurrent writers in one process never lose each other's change. */
  private update(change: (all: Record<string, string>) => void): Promise<void> {
    const next = this.writes.then(async () => {
      const all = { ...(await this.read()) };
      change(all);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const temp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.file);
    });
    this.writes = next.catch(() => undefined);
    return next;
  }
}
