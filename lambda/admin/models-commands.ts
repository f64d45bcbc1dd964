import { checkOverrideEntry, checkOverrideKey, MANTLE_ROUTES, MODALITIES, MODEL_APIS, type OverrideEntry } from "../catalog/index.js";
import { editDistance } from "../edit-distance.js";
import { UsageError } from "../errors.js";
import { patternAdmits } from "../rules.js";
import { note, out, table, type Command, type Options } from "./command.js";
import { commaList, wholeNumber } from "./flags.js";
import type { ModelsAdmin } from "./models-admin.js";

/** `mantle-vend-admin models …`: the team's catalog overrides. */
export const MODEL_COMMANDS: Record<string, Command<ModelsAdmin>> = {
  list: {
    help: "  models list [--json]   the team's catalog overrides",
    flags: ["json"],
    async run(admin, options) {
      const overrides = await admin.list();
      if (options.json) {
        out(`${JSON.stringify(overrides, null, 2)}\n`);
        return;
      }
      const rows = Object.entries(overrides).map(([id, entry]) => [id, ...describeEntry(entry)]);
      out(table(["MODEL", "VISIBILITY", "APIS", "ROUTE", "CONTEXT", "MAX OUTPUT", "REASONING", "INPUT", "ADDED"], rows));
    },
  },
  set: {
    help: `  models set <id|prefix*> [--hide | --show] [--apis ${MODEL_APIS.join(",")}] [--route ${MANTLE_ROUTES.join("|")}]
             [--context-window N] [--max-output-tokens N] [--reasoning true|false] [--input ${MODALITIES.join(",")}] [--add] [--force]
             merges into the entry for a model id or an id prefix ending in * (quote it in the shell); an id (or prefix)
             that no stored catalog lists is refused as a likely typo: --add adds a model Mantle does not list,
             --force stores the entry anyway`,
    flags: ["hide", "show", "apis", "route", "context-window", "max-output-tokens", "reasoning", "input", "add", "force"],
    async run(admin, options, args) {
      const key = modelKeyArgument(args, "set");
      const change = changeFromFlags(key, options);
      if (!options.add && !options.force) await checkKnown(admin, key);
      const stored = await admin.set(key, change);
      note(`set ${key}: ${JSON.stringify(stored)}; running services pick it up within about a minute`);
    },
  },
  unset: {
    help: `  models unset <id|prefix*>
             removes the entry; running services pick a change up within about a minute`,
    flags: [],
    async run(admin, _options, args) {
      const key = modelKeyArgument(args, "unset");
      note((await admin.unset(key)) ? `removed the override of ${key}` : `no override of ${key} to remove`);
    },
  },
};

/**
 * Refuses a key that names no model of any stored catalog (nor an existing entry): `models set
 * openai.gpt-oss-12b --hide` is a typo of openai.gpt-oss-120b, and storing it would hide nothing.
 */
async function checkKnown(admin: ModelsAdmin, key: string): Promise<void> {
  const { ids, regions } = await admin.knownModels();
  if (regions.length === 0) {
    note(`warning: no catalog is stored yet, so ${key} was not checked against one`);
    return;
  }
  const prefix = key.endsWith("*") ? key.slice(0, -1) : undefined;
  if ([...ids].some((id) => patternAdmits(key, id))) return;
  const near = [...ids].map((id) => [id, editDistance(key, id)] as const).filter(([, d]) => d <= 3).sort((a, b) => a[1] - b[1])[0]?.[0];
  throw new UsageError(
    `${prefix === undefined ? `${key} is in no stored catalog` : `no stored catalog has a model id starting with ${prefix}`} (${regions.join(", ")})${near === undefined ? "" : `; did you mean ${near}?`} ` +
      "(--add adds a model Mantle does not list; --force stores the entry anyway)",
  );
}

function modelKeyArgument(args: string[], command: string): string {
  const [key, ...extra] = args;
  if (key === undefined || extra.length > 0) throw new UsageError(`models ${command} takes one model id or id prefix ending in *`);
  return checkOverrideKey(key);
}

/** The flags of `models set` as an entry, checked as the stored document will be. */
function changeFromFlags(key: string, options: Options): OverrideEntry {
  if (options.hide && options.show) throw new UsageError("--hide and --show exclude each other");
  const raw: Record<string, unknown> = {};
  if (options.hide || options.show) raw["hidden"] = options.hide === true;
  if (options.apis !== undefined) raw["apis"] = commaList(options.apis);
  if (options.route !== undefined) raw["route"] = options.route;
  if (options["context-window"] !== undefined) raw["contextWindow"] = wholeNumber(options["context-window"], "--context-window");
  if (options["max-output-tokens"] !== undefined) raw["maxOutputTokens"] = wholeNumber(options["max-output-tokens"], "--max-output-tokens");
  if (options.reasoning !== undefined) {
    if (options.reasoning !== "true" && options.reasoning !== "false") throw new UsageError(`--reasoning takes true or false, got "${options.reasoning}"`);
    raw["reasoning"] = options.reasoning === "true";
  }
  if (options.input !== undefined) raw["input"] = commaList(options.input);
  if (options.add) raw["add"] = true;
  if (Object.keys(raw).length === 0) {
    throw new UsageError("set needs at least one of --hide, --show, --apis, --route, --context-window, --max-output-tokens, --reasoning, --input, --add");
  }
  return checkOverrideEntry(key, raw);
}

function describeEntry(entry: OverrideEntry): string[] {
  const text = (v: unknown): string => (v === undefined ? "-" : Array.isArray(v) ? v.join(",") : String(v));
  const visibility = entry.hidden ? "hidden" : entry.hidden === false ? "shown" : "-";
  return [visibility, text(entry.apis), text(entry.route), text(entry.contextWindow), text(entry.maxOutputTokens), text(entry.reasoning), text(entry.input), entry.add ? "yes" : "-"];
}
