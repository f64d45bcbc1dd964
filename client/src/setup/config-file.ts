/**
 * `setup --write`: a tool's config file merged with the entries setup owns, and written so that the
 * user's file is never lost — read and merged in full before anything is written, each file replaced
 * by a rename, the previous content kept as `<file>.bak`, and nothing written when any step fails.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { stageFile, type Staged } from "../cli/atomic-write.js";
import { ToolConfigError } from "../cli/errors.js";
import { setDotenvVariable } from "./dotenv-edit.js";
import { setJsonMember } from "./json-edit.js";
import { setTomlEntry } from "./toml-edit.js";

type ConfigFormat = "json" | "toml" | "dotenv";

/** One entry setup owns in a tool's config: set to `value`, or removed when `value` is undefined. */
export interface Entry {
  readonly path: readonly string[];
  readonly value: unknown;
}

/** A tool's config file and what setup writes into it. */
export interface ToolFile {
  /** Where the tool reads it: its standard place (with the tool's own environment overrides), or --config-file. */
  readonly path: string;
  readonly format: ConfigFormat;
  /** The entries setup owns (with --default, the default model's too): set on every write. */
  readonly owned: readonly Entry[];
  /** Written only into a file setup creates: the tool's switches for telemetry and update checks. */
  readonly fresh: readonly Entry[];
  /** The comment a file setup creates starts with. */
  readonly header?: string;
}

/** One file as it is and as it will be. */
export interface PlannedFile {
  /** The file written: the path, or the file it links to. */
  readonly path: string;
  /** Its content now; undefined when it does not exist. */
  readonly before: string | undefined;
  readonly after: string;
  /** Its mode and owner now (kept), or undefined for a new file (0600, the user's). */
  readonly stat: { mode: number; uid: number; gid: number } | undefined;
}

const EMPTY: Record<ConfigFormat, string> = { json: "{}\n", toml: "", dotenv: "" };

function apply(format: ConfigFormat, text: string, entry: Entry): string {
  switch (format) {
    case "json":
      return setJsonMember(text, entry.path, entry.value);
    case "toml":
      return setTomlEntry(text, entry.path, entry.value);
    case "dotenv":
      return setDotenvVariable(text, entry.path[0] ?? "", typeof entry.value === "string" ? entry.value : undefined);
  }
}

/** The file's text with setup's entries in; a file with nothing in it yet is treated as a new one. */
export function merged(file: ToolFile, before: string | undefined): string {
  const fresh = before === undefined || before.trim() === "";
  let text = fresh ? `${file.header === undefined ? "" : `${file.header}\n`}${EMPTY[file.format]}` : before;
  for (const entry of fresh ? [...file.owned, ...file.fresh] : file.owned) text = apply(file.format, text, entry);
  return text;
}

const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));

/** The file to write for `path`: the file a symbolic link leads to (dotfiles kept elsewhere stay linked). */
function target(path: string): string {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  } catch {
    return path;
  }
}

/** Reads each file and merges setup's entries in; throws ToolConfigError (nothing written yet) when one cannot be read or merged. */
export function plan(files: readonly ToolFile[]): PlannedFile[] {
  return files.map((file) => {
    const path = target(file.path);
    let before: string | undefined;
    let stat: PlannedFile["stat"];
    try {
      const found = statSync(path);
      if (!found.isFile()) throw new ToolConfigError(`${path} is not a regular file; nothing was written`);
      stat = { mode: found.mode & 0o7777, uid: found.uid, gid: found.gid };
      before = readFileSync(path, "utf8");
    } catch (error) {
      if (error instanceof ToolConfigError) throw error;
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new ToolConfigError(`cannot read ${path} (${errnoOf(error)}); nothing was written`);
    }
    try {
      return { path, before, after: merged(file, before), stat };
    } catch (error) {
      if (!(error instanceof ToolConfigError)) throw error;
      throw new ToolConfigError(`cannot merge into ${path}: ${error.message}; nothing was written`);
    }
  });
}

/**
 * Writes the files that change: every new content and every `.bak` is staged first (a read-only
 * directory or a full disk stops here, with nothing changed), then renamed into place. A file whose
 * content does not change is not touched, and gets no new `.bak`.
 */
export function write(planned: readonly PlannedFile[]): void {
  const staged: Array<{ file: PlannedFile; backup: Staged | undefined; next: Staged }> = [];
  const discard = (): void => {
    for (const { backup, next } of staged) {
      backup?.discard();
      next.discard();
    }
  };
  let current: PlannedFile | undefined;
  try {
    for (const file of planned.filter((f) => f.after !== f.before)) {
      current = file;
      const owner = file.stat === undefined ? undefined : { uid: file.stat.uid, gid: file.stat.gid };
      const backup = file.before === undefined ? undefined : stageFile(`${file.path}.bak`, file.before, file.stat?.mode ?? 0o600, owner);
      try {
        staged.push({ file, backup, next: stageFile(file.path, file.after, file.stat?.mode ?? 0o600, owner) });
      } catch (error) {
        backup?.discard();
        throw error;
      }
    }
  } catch (error) {
    discard();
    throw new ToolConfigError(`cannot write ${current?.path ?? "the config"} (${errnoOf(error)}); nothing was written`);
  }
  const committed: PlannedFile[] = [];
  try {
    for (const { file, backup, next } of staged) {
      backup?.commit();
      next.commit();
      committed.push(file);
    }
  } catch (error) {
    discard();
    // Renames in one directory do not fail halfway in practice; if one did, the files already replaced go back.
    for (const file of committed) {
      try {
        if (file.before !== undefined) stageFile(file.path, file.before, file.stat?.mode ?? 0o600).commit();
      } catch {
        // Its .bak holds the previous content.
      }
    }
    throw new ToolConfigError(`cannot write ${planned.map((f) => f.path).join(", ")} (${errnoOf(error)}); nothing was changed`);
  }
}
