/**
 * The configs `setup --write` wrote, so that `doctor` can tell whether each is still what setup would
 * write now: `$XDG_CONFIG_HOME/mantle-vend/setup.json` (0600), one entry per file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isRecord } from "../guards.js";
import { writeFileAtomic } from "./atomic-write.js";
import { configDir } from "./config-dir.js";

export interface SetupRecord {
  tool: string;
  /** The config file, absolute. */
  file: string;
  region: string;
  proxy?: string;
  model?: string;
  /** Written with --default. */
  asDefault: boolean;
}

const recordFile = (env: NodeJS.ProcessEnv): string => join(configDir(env), "setup.json");

function parseRecord(value: unknown): SetupRecord | undefined {
  if (!isRecord(value)) return undefined;
  const { tool, file, region, proxy, model, asDefault } = value;
  if (typeof tool !== "string" || typeof file !== "string" || typeof region !== "string" || typeof asDefault !== "boolean") return undefined;
  if ((proxy !== undefined && typeof proxy !== "string") || (model !== undefined && typeof model !== "string")) return undefined;
  return { tool, file, region, asDefault, ...(proxy === undefined ? {} : { proxy }), ...(model === undefined ? {} : { model }) };
}

/** Every recorded config; a record that does not parse is none. */
export function readSetupRecords(env: NodeJS.ProcessEnv): SetupRecord[] {
  try {
    const value = JSON.parse(readFileSync(recordFile(env), "utf8")) as unknown;
    const list = isRecord(value) && Array.isArray(value["configs"]) ? value["configs"] : [];
    return list.flatMap((entry) => parseRecord(entry) ?? []);
  } catch {
    return [];
  }
}

/** Records (or replaces) the entry of `record.file`. */
export function recordSetup(env: NodeJS.ProcessEnv, record: SetupRecord): void {
  const configs = [...readSetupRecords(env).filter((r) => r.file !== record.file), record];
  writeFileAtomic(recordFile(env), `${JSON.stringify({ v: 1, configs }, null, 2)}\n`, 0o600);
}
