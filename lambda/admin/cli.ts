import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs } from "node:util";
import { isUsable, KEY_ID_PATTERN, type KeyRecord, type RateLimit } from "../keys/index.js";
import { REGION_PATTERN } from "../regions.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";
import { KeyAdmin } from "./keys-admin.js";
import { isModelsCommand, MODELS_USAGE, modelsMain } from "./models-admin.js";

const USAGE = `usage: mantle-vend-admin keys <create|list|show|rotate|revoke> [options]

  keys create --name N [--regions a,b] [--max-ttl S] [--expires-in 30d] [--rate-limit 10/100]
              prints the new key alone on stdout, once
  keys list   lists keys (never secrets or hashes)
  keys show <keyId>
  keys rotate <keyId> [--grace 24h]
              prints the new key alone on stdout; the old one works until the grace ends
  keys revoke <keyId>

target: --local [--data-dir .mantle-vend]  the local server's file store
        otherwise SSM under --prefix (default /mantle-vend), default AWS credential chain`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  if (isModelsCommand(argv)) return modelsMain(argv);
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
      prefix: { type: "string", default: process.env.MANTLE_VEND_PARAMETER_PREFIX ?? "/mantle-vend" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || group !== "keys" || command === undefined) {
    process.stderr.write(`${USAGE}\n\n${MODELS_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const store: ParameterStore = values.local
    ? new FileParameterStore(values["data-dir"])
    : new SsmParameterStore(new SSMClient({}));
  const admin = new KeyAdmin(store, values.prefix);

  switch (command) {
    case "create": {
      if (values.name === undefined || values.name.trim() === "") throw new UsageError("--name is required");
      const created = await admin.create({
        name: values.name,
        regions: parseRegionList(values.regions),
        maxTtlSeconds: values["max-ttl"] === undefined ? undefined : parseSeconds(values["max-ttl"], "--max-ttl"),
        expiresAt:
          values["expires-in"] === undefined
            ? undefined
            : new Date(Date.now() + parseSeconds(values["expires-in"], "--expires-in") * 1000),
        rateLimit: values["rate-limit"] === undefined ? undefined : parseRateLimit(values["rate-limit"]),
      });
      process.stderr.write(`created key ${created.keyId} (${values.name}); store it now, it is not shown again\n`);
      process.stdout.write(`${created.key}\n`);
      return 0;
    }
    case "list": {
      const rows = (await admin.list()).map(({ keyId, record }) => [
        keyId,
        record.name,
        record.regions.join(","),
        String(record.maxTtlSeconds),
        record.createdAt,
        record.expiresAt ?? "-",
        status(record),
      ]);
      process.stdout.write(table(["KEY ID", "NAME", "REGIONS", "MAX TTL", "CREATED", "EXPIRES", "STATUS"], rows));
      return 0;
    }
    case "show": {
      const record = await admin.show(keyIdArgument(rest[0], "show"));
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
      process.stdout.write(rows.map(([k, v]) => `${k.padEnd(28)}${v}`).join("\n") + "\n");
      return 0;
    }
    case "rotate": {
      const keyId = keyIdArgument(rest[0], "rotate");
      const rotated = await admin.rotate(keyId, parseSeconds(values.grace, "--grace"));
      process.stderr.write(`rotated key ${keyId}; the previous secret works for ${values.grace} more; store the new one now\n`);
      process.stdout.write(`${rotated.key}\n`);
      return 0;
    }
    case "revoke": {
      const keyId = keyIdArgument(rest[0], "revoke");
      await admin.revoke(keyId);
      process.stderr.write(`revoked key ${keyId}; running services drop it within about a minute\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command keys ${command}`);
  }
}

function keyIdArgument(value: string | undefined, command: string): string {
  if (value === undefined || !KEY_ID_PATTERN.test(value)) throw new UsageError(`${command} takes a key id (16 hex chars)`);
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
  if (regions.length === 0 || regions.some((r) => r !== "*" && !REGION_PATTERN.test(r))) {
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

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("mantle-vend-admin.js")) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`mantle-vend-admin: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
