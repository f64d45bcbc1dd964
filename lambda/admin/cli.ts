import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs } from "node:util";
import { DEFAULT_PARAMETER_PREFIX } from "../config.js";
import { isKeyId, isRegionName } from "../guards.js";
import { isUsable, type KeyRecord, type RateLimit } from "../keys/index.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";
import { KeyAdmin } from "./keys-admin.js";

/** What parseArgs yields for the options below. */
interface Options {
  name?: string;
  regions?: string;
  "max-ttl"?: string;
  "expires-in"?: string;
  "rate-limit"?: string;
  grace: string;
}

/** One `keys` command: its lines of the usage text and what it does. */
interface KeyCommand {
  help: string;
  run(admin: KeyAdmin, options: Options, args: string[]): Promise<void>;
}

const out = (text: string): void => {
  process.stdout.write(text);
};
const note = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

const COMMANDS: Record<string, KeyCommand> = {
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

const USAGE = `usage: mantle-vend-admin keys <${Object.keys(COMMANDS).join("|")}> [options]

${Object.values(COMMANDS)
  .map((command) => command.help)
  .join("\n")}

target: --local [--data-dir .mantle-vend]  the local server's file store
        otherwise SSM under --prefix (default ${DEFAULT_PARAMETER_PREFIX}), default AWS credential chain`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      regions: { type: "string" },
      "max-ttl": { type: "string" },
      "expires-in": { type: "string" },
      "rate-limit": { type: "string" },
      grace: { type: "string", default: "24h" },
      local: { type: "boolean", default: false },
      "data-dir": { type: "string", default: ".mantle-vend" },
      prefix: { type: "string", default: process.env.MANTLE_VEND_PARAMETER_PREFIX ?? DEFAULT_PARAMETER_PREFIX },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [group, name, ...rest] = positionals;
  if (values.help || group !== "keys" || name === undefined) {
    // Asked-for help is the result (stdout); help after a mistake goes with the error (stderr).
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const store: ParameterStore = values.local
    ? new FileParameterStore(values["data-dir"])
    : new SsmParameterStore(new SSMClient({}));
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) throw new UsageError(`unknown command keys ${name}`);
  await command.run(new KeyAdmin(store, values.prefix), values, rest);
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
    return error instanceof UsageError || isParseArgsError(error) ? 2 : 1;
  }
}

/** node:util parseArgs rejects unknown options and missing values with ERR_PARSE_ARGS_* codes. */
function isParseArgsError(error: unknown): boolean {
  return error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("ERR_PARSE_ARGS_");
}
