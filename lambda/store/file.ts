import { storeCall } from "./errors.js";
import { JsonFile, type JsonFileOptions } from "./json-file.js";
import type { Parameter, ParameterStore } from "./types.js";

export type FileStoreOptions = JsonFileOptions;

/** The string-valued entries of a parsed parameters file. */
function parameters(parsed: unknown): Record<string, string> {
  if (typeof parsed !== "object" || parsed === null) return {};
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/**
 * Parameters in one JSON file (`<dir>/parameters.json`), for the local server and
 * `mantle-vend-admin --local`. Every call reads the file, so an admin's change is visible to a
 * running server at once; the file's locking and atomic replacement are JsonFile's. Every failure
 * leaves as a StoreUnavailableError, as the SSM store's do.
 */
export class FileParameterStore implements ParameterStore {
  private readonly file: JsonFile<string>;

  constructor(dir: string, options: FileStoreOptions = {}) {
    this.file = new JsonFile(dir, "parameters.json", parameters, options);
  }

  get(name: string): Promise<string | undefined> {
    return storeCall(`read ${name}`, async () => (await this.file.read())[name]);
  }

  getMany(names: readonly string[]): Promise<Parameter[]> {
    return storeCall(`read ${names.length} parameters`, async () => {
      const all = await this.file.read();
      return names.flatMap((name) => (all[name] === undefined ? [] : [{ name, value: all[name] }]));
    });
  }

  getByPath(path: string): Promise<Parameter[]> {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return storeCall(`list ${path}`, async () => {
      const all = await this.file.read();
      return Object.keys(all)
        .filter((name) => name.startsWith(prefix))
        .sort()
        .map((name) => ({ name, value: all[name] as string }));
    });
  }

  put(name: string, value: string): Promise<void> {
    return storeCall(`write ${name}`, () =>
      this.file.update((all) => {
        all[name] = value;
      }),
    );
  }

  delete(name: string): Promise<void> {
    return storeCall(`delete ${name}`, () =>
      this.file.update((all) => {
        delete all[name];
      }),
    );
  }
}
