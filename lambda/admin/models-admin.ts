import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  checkOverrideEntry,
  checkOverrideKey,
  mergeOverride,
  MODALITIES,
  MODEL_APIS,
  MODEL_ROUTES,
  OverridesError,
  OverridesStore,
  removeOverride,
  type OverrideEntry,
  type Overrides,
} from "../catalog/index.js";
import { keysVersionParameter, newKeysVersion } from "../keys/index.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";

export const MODELS_USAGE = `usage: mantle-vend-admin models <list|set|unset> [options]

  models list [--json]   the team's catalog overrides
  models set <id|prefix*> [--hide | --show] [--apis ${MODEL_APIS.join(",")}] [--route ${MODEL_ROUTES.join("|")}]
             [--context-window N] [--max-output-tokens N] [--reasoning true|false] [--input ${MODALITIES.join(",")}] [--add]
             merges into the entry for a model id or an id prefix ending in * (quote it in the shell)
  models unset <id|prefix*>
             removes the entry
  Running services pick a change up within about a minute.

target: --local [--data-dir .mantle-vend]  the local server's file store
        otherwise SSM under --prefix (default /mantle-vend), default AWS credential chain`;

const OPTIONS = {
  hide: { type: "boolean" },
  show: { type: "boolean" },
  apis: { type: "string" },
  route: { type: "string" },
  "context-window": { type: "string" },
  "max-output-tokens": { type: "string" },
  reasoning: { type: "string" },
  input: { type: "string" },
  add: { type: "boolean" },
  json: { type: "boolean", default: false },
  local: { type: "boolean", default: false },
  "data-dir": { type: "string", default: ".mantle-vend" },
  prefix: { type: "string", default: process.env.MANTLE_VEND_PARAMETER_PREFIX ?? "/mantle-vend" },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

class ModelsUsageError extends Error {}

/** Overrides administration over any parameter store; every write also bumps keys-version, which running services poll. */
export class ModelsAdmin {
  private readonly overrides: OverridesStore;

  constructor(
    private readonly store: ParameterStore,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.overrides = new OverridesStore(store, prefix);
  }

  async list(): Promise<Overrides> {
    try {
      return await this.overrides.read();
    } catch (error) {
      if (!(error instanceof OverridesError)) throw error;
      throw new Error(`${error.message}; services ignore it until it is replaced (delete ${this.prefix}/catalog-overrides to start over)`);
    }
  }

  /** Merges `change` into the key's entry and returns the entry as stored. */
  async set(key: string, change: OverrideEntry): Promise<OverrideEntry> {
    const next = mergeOverride(await this.list(), key, change);
    await this.write(next);
    return next[key] as OverrideEntry;
  }

  /** Removes the key's entry; false when there was none. */
  async unset(key: string): Promise<boolean> {
    const current = await this.list();
    if (current[checkOverrideKey(key)] === undefined) return false;
    await this.write(removeOverride(current, key));
    return true;
  }

  private async write(overrides: Overrides): Promise<void> {
    await this.overrides.write(overrides, new Date(this.clock()));
    await this.store.put(keysVersionParameter(this.prefix), newKeysVersion());
  }
}

/** True when argv is a `models …` command (flags may come first). */
export function isModelsCommand(argv: readonly string[]): boolean {
  const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false });
  return positionals[0] === "models";
}

function list(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d{1,12}$/.test(value.trim())) throw new ModelsUsageError(`${flag} takes a whole number of tokens, got "${value}"`);
  return Number(value);
}

/** The flags of `set` as an entry; every value is checked as the stored document will be. */
export function changeFromFlags(values: Values): OverrideEntry {
  if (values.hide && values.show) throw new ModelsUsageError("--hide and --show exclude each other");
  const raw: Record<string, unknown> = {};
  if (values.hide || values.show) raw["hidden"] = values.hide === true;
  if (values.apis !== undefined) raw["apis"] = list(values.apis);
  if (values.route !== undefined) raw["route"] = values.route;
  if (values["context-window"] !== undefined) raw["contextWindow"] = wholeNumber(values["context-window"], "--context-window");
  if (values["max-output-tokens"] !== undefined) raw["maxOutputTokens"] = wholeNumber(values["max-output-tokens"], "--max-output-tokens");
  if (values.reasoning !== undefined) {
    if (values.reasoning !== "true" && values.reasoning !== "false") throw new ModelsUsageError(`--reasoning takes true or false, got "${values.reasoning}"`);
    raw["reasoning"] = values.reasoning === "true";
  }
  if (values.input !== undefined) raw["input"] = list(values.input);
  if (values.add) raw["add"] = true;
  if (Object.keys(raw).length === 0) throw new ModelsUsageError("set needs at least one of --hide, --show, --apis, --route, --context-window, --max-output-tokens, --reasoning, --input, --add");
  return raw as OverrideEntry;
}

function describeEntry(entry: OverrideEntry): string[] {
  const text = (v: unknown): string => (v === undefined ? "-" : Array.isArray(v) ? v.join(",") : String(v));
  return [entry.hidden ? "hidden" : entry.hidden === false ? "shown" : "-", text(entry.apis), text(entry.route), text(entry.contextWindow), text(entry.maxOutputTokens), text(entry.reasoning), text(entry.input), entry.add ? "yes" : "-"];
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}

/** `mantle-vend-admin models …`; usage errors print a clear message and return 2. */
export async function modelsMain(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (!(error instanceof ModelsUsageError || error instanceof OverridesError || (error instanceof TypeError && "code" in error))) throw error;
    process.stderr.write(`mantle-vend-admin: ${error.message}\n`);
    return 2;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [, command, key, ...extra] = positionals;
  if (values.help || command === undefined) {
    process.stderr.write(`${MODELS_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const store: ParameterStore = values.local ? new FileParameterStore(values["data-dir"]) : new SsmParameterStore(new SSMClient({}));
  const admin = new ModelsAdmin(store, values.prefix);
  if (command !== "list" && (key === undefined || extra.length > 0)) throw new ModelsUsageError(`models ${command} takes one model id or id prefix ending in *`);
  switch (command) {
    case "list": {
      const overrides = await admin.list();
      if (values.json) process.stdout.write(`${JSON.stringify(overrides, null, 2)}\n`);
      else {
        const rows = Object.entries(overrides).map(([id, entry]) => [id, ...describeEntry(entry)]);
        process.stdout.write(table(["MODEL", "VISIBILITY", "APIS", "ROUTE", "CONTEXT", "MAX OUTPUT", "REASONING", "INPUT", "ADDED"], rows));
      }
      return 0;
    }
    case "set": {
      const id = checkOverrideKey(key as string);
      const change = changeFromFlags(values);
      checkOverrideEntry(id, change);
      const stored = await admin.set(id, change);
      process.stderr.write(`set ${id}: ${JSON.stringify(stored)}; running services pick it up within about a minute\n`);
      return 0;
    }
    case "unset": {
      const removed = await admin.unset(key as string);
      process.stderr.write(removed ? `removed the override of ${key}\n` : `no override of ${key} to remove\n`);
      return 0;
    }
    default:
      throw new ModelsUsageError(`unknown command models ${command}`);
  }
}
