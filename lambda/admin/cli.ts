import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkOverrideEntry, checkOverrideKey, MODALITIES, MODEL_APIS, MANTLE_ROUTES, OverridesError, type OverrideEntry } from "../catalog/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../config.js";
import { UsageError } from "../errors.js";
import { isKeyId, isRegionName } from "../rules.js";
import type { RateLimit } from "../grants/index.js";
import { isUsable, type KeyRecord } from "../keys/index.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";
import { KeyAdmin } from "./keys-admin.js";
import { ModelsAdmin } from "./models-admin.js";

/** Every flag of every command; each group names the ones its commands take. */
const OPTIONS = {
  name: { type: "string" },
  regions: { type: "string" },
  "max-ttl": { type: "string" },
  "expires-in": { type: "string" },
  "rate-limit": { type: "string" },
  grace: { type: "string", default: "24h" },
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
  prefix: { type: "string", default: process.env.MANTLE_VEND_PARAMETER_PREFIX ?? DEFAULT_PARAMETER_PREFIX },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

/** What parseArgs yields for the options above. */
type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
type Flag = keyof typeof OPTIONS;

/** Every command takes these: where the parameters live. */
const TARGET_FLAGS: readonly Flag[] = ["local", "data-dir", "prefix", "help"];

/** One command: its lines of the usage text and what it does with the group's admin. */
interface Command<A> {
  help: string;
  run(admin: A, options: Options, args: string[]): Promise<void>;
}

/** A command group (`keys`, `models`) as the dispatcher sees it. */
interface Group {
  usage: string;
  /** Flags beyond TARGET_FLAGS that its commands take; any other is refused. */
  flags: ReadonlySet<string>;
  run(name: string, store: ParameterStore, options: Options, args: string[]): Promise<void>;
}

function group<A>(groupName: string, flags: readonly Flag[], open: (store: ParameterStore, prefix: string) => A, commands: Record<string, Command<A>>): Group {
  return {
    usage: `usage: mantle-vend-admin ${groupName} <${Object.keys(commands).join("|")}> [options]\n\n${Object.values(commands)
      .map((command) => command.help)
      .join("\n")}`,
    flags: new Set([...flags, ...TARGET_FLAGS]),
    async run(name, store, options, args) {
      const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
      if (command === undefined) throw new UsageError(`unknown command ${groupName} ${name}`);
      await command.run(open(store, options.prefix), options, args);
    },
  };
}

const out = (text: string): void => {
  process.stdout.write(text);
};
const note = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

const KEY_COMMANDS: Record<string, Command<KeyAdmin>> = {
  create: {
    help: `  keys create --name N [--regions a,b] [--max-ttl S] [--expires-in 30d] [--rate-limit 10/100]
              prints the new key alone on stdout, once`,
    async run(admin, options) {
      const name = options.name;
      if (name === undefined || name.trim() === "") throw new UsageError("--name is required");
      const expiresIn = options["expires-in"];
      const created = await admin.create({
        name,
        regions: parseRegionList(options.regions),
        maxTtlSeconds: options["max-ttl"] === undefined ? undefined : parseSeconds(options["max-ttl"], "--max-ttl"),
        expiresAt: expiresIn === undefined ? undefined : new Date(Date.now() + parseSeconds(expiresIn, "--expires-in") * 1000),
        rateLimit: options["rate-limit"] === undefined ? undefined : parseRateLimit(options["rate-limit"]),
      });
      note(`created key ${created.keyId} (${name}); store it now, it is not shown again`);
      out(`${created.key}\n`);
    },
  },
  list: {
    help: "  keys list   lists keys (never secrets or hashes)",
    async run(admin) {
      const rows = (await admin.list()).map(({ keyId, record }) => [
        keyId,
        record.name,
        record.regions.join(","),
        String(record.maxTtlSeconds),
        record.createdAt,
        record.expiresAt ?? "-",
        status(record),
      ]);
      out(table(["KEY ID", "NAME", "REGIONS", "MAX TTL", "CREATED", "EXPIRES", "STATUS"], rows));
    },
  },
  show: {
    help: "  keys show <keyId>",
    async run(admin, _options, args) {
      const record = await admin.show(keyIdArgument(args[0], "show"));
      const rows: [string, string][] = [
        ["name", record.name],
        ["status", status(record)],
        ["regions", record.regions.join(",")],
        ["max ttl", `${record.maxTtlSeconds} s`],
        ["rate limit", record.rateLimit ? `${record.rateLimit.perSecond}/s, burst ${record.rateLimit.burst}` : "service default"],
        ["created", record.createdAt],
        ["expires", record.expiresAt ?? "never"],
        ["rotated", record.rotatedAt ?? "never"],
        ["previous secret valid until", record.previousExpiresAt ?? "-"],
      ];
      out(rows.map(([k, v]) => `${k.padEnd(28)}${v}`).join("\n") + "\n");
    },
  },
  rotate: {
    help: `  keys rotate <keyId> [--grace 24h]
              prints the new key alone on stdout; the old one works until the grace ends`,
    async run(admin, options, args) {
      const keyId = keyIdArgument(args[0], "rotate");
      const rotated = await admin.rotate(keyId, parseSeconds(options.grace, "--grace"));
      note(`rotated key ${keyId}; the previous secret works for ${options.grace} more; store the new one now`);
      out(`${rotated.key}\n`);
    },
  },
  revoke: {
    help: "  keys revoke <keyId>",
    async run(admin, _options, args) {
      const keyId = keyIdArgument(args[0], "revoke");
      await admin.revoke(keyId);
      note(`revoked key ${keyId}; running services drop it within about a minute`);
    },
  },
};

const MODEL_COMMANDS: Record<string, Command<ModelsAdmin>> = {
  list: {
    help: "  models list [--json]   the team's catalog overrides",
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
             [--context-window N] [--max-output-tokens N] [--reasoning true|false] [--input ${MODALITIES.join(",")}] [--add]
             merges into the entry for a model id or an id prefix ending in * (quote it in the shell)`,
    async run(admin, options, args) {
      const key = modelKeyArgument(args, "set");
      const stored = await admin.set(key, changeFromFlags(key, options));
      note(`set ${key}: ${JSON.stringify(stored)}; running services pick it up within about a minute`);
    },
  },
  unset: {
    help: `  models unset <id|prefix*>
             removes the entry; running services pick a change up within about a minute`,
    async run(admin, _options, args) {
      const key = modelKeyArgument(args, "unset");
      note((await admin.unset(key)) ? `removed the override of ${key}` : `no override of ${key} to remove`);
    },
  },
};

const GROUPS: Record<string, Group> = {
  keys: group("keys", ["name", "regions", "max-ttl", "expires-in", "rate-limit", "grace"], (store, prefix) => new KeyAdmin(store, prefix), KEY_COMMANDS),
  models: group(
    "models",
    ["hide", "show", "apis", "route", "context-window", "max-output-tokens", "reasoning", "input", "add", "json"],
    (store, prefix) => new ModelsAdmin(store, prefix),
    MODEL_COMMANDS,
  ),
};

const USAGE = `${Object.values(GROUPS)
  .map((g) => g.usage)
  .join("\n\n")}

target: --local [--data-dir .mantle-vend]  the local server's file store
        otherwise SSM under --prefix (default ${DEFAULT_PARAMETER_PREFIX}), default AWS credential chain`;


export async function main(argv: string[]): Promise<number> {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, tokens: true });
  const [groupName, name, ...rest] = positionals;
  const chosen = groupName !== undefined && Object.hasOwn(GROUPS, groupName) ? GROUPS[groupName] : undefined;
  if (values.help || chosen === undefined || name === undefined) {
    // Asked-for help is the result (stdout); help after a mistake goes with the error (stderr).
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  for (const token of tokens) {
    if (token.kind === "option" && !chosen.flags.has(token.name)) throw new UsageError(`Unknown option '${token.rawName}' for ${groupName} commands`);
  }
  const store: ParameterStore = values.local
    ? new FileParameterStore(values["data-dir"])
    : new SsmParameterStore(new SSMClient({}));
  await chosen.run(name, store, values, rest);
  return 0;
}

function keyIdArgument(value: string | undefined, command: string): string {
  if (value === undefined || !isKeyId(value)) throw new UsageError(`${command} takes a key id (16 hex chars)`);
  return value;
}

function status(record: KeyRecord): string {
  if (record.disabled) return "revoked";
  return isUsable(record, Date.now()) ? "active" : "expired";
}

/** "10/100" → 10 requests/s sustained, bursts of 100. */
function parseRateLimit(value: string): RateLimit {
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value.trim());
  const perSecond = Number(match?.[1]);
  const burst = Number(match?.[2]);
  if (match === null || !(perSecond > 0) || !Number.isSafeInteger(burst) || burst < 1) {
    throw new UsageError(`--rate-limit takes <per second>/<burst>, e.g. 10/100, got "${value}"`);
  }
  return { perSecond, burst };
}

function parseRegionList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const regions = value.split(",").map((r) => r.trim()).filter((r) => r !== "");
  if (regions.length === 0 || regions.some((r) => r !== "*" && !isRegionName(r))) {
    throw new UsageError(`--regions takes a comma-separated list of regions or *, got "${value}"`);
  }
  return regions;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90", "90s", "15m", "12h", "30d" → seconds. */
export function parseSeconds(value: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match === null ? NaN : Number(match[1]) * (UNITS[match[2] || "s"] as number);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new UsageError(`${flag} takes a duration like 3600, 15m, 12h or 30d`);
  return seconds;
}

function modelKeyArgument(args: string[], command: string): string {
  const [key, ...extra] = args;
  if (key === undefined || extra.length > 0) throw new UsageError(`models ${command} takes one model id or id prefix ending in *`);
  return checkOverrideKey(key);
}

function commaList(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d{1,12}$/.test(value.trim())) throw new UsageError(`${flag} takes a whole number of tokens, got "${value}"`);
  return Number(value);
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

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}

/** The whole CLI: runs `main` and turns its failures into one stderr line and an exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    process.stderr.write(`mantle-vend-admin: ${error instanceof Error ? error.message : String(error)}\n`);
    return isUsageError(error) ? 2 : 1;
  }
}

/**
 * The caller's mistake, not the store's: a bad flag, argument or override value. node:util
 * parseArgs rejects unknown options and missing values with ERR_PARSE_ARGS_* codes.
 */
function isUsageError(error: unknown): boolean {
  const parseArgsError = error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("ERR_PARSE_ARGS_");
  return error instanceof UsageError || error instanceof OverridesError || parseArgsError;
}
