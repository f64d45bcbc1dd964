import { UsageError } from "../errors.js";
import { isUsable, type KeyRecord } from "../keys/index.js";
import { isKeyId } from "../rules.js";
import { note, out, table, type Command } from "./command.js";
import { parseSeconds } from "./flags.js";
import { GRANT_FLAGS, grantFromFlags } from "./grant-flags.js";
import type { KeyAdmin } from "./keys-admin.js";

/** `mantle-vend-admin keys …`: one entry per command, its help and what it does. */
export const KEY_COMMANDS: Record<string, Command<KeyAdmin>> = {
  create: {
    help: `  keys create --name N [--regions a,b] [--max-ttl S] [--expires-in 30d] [--rate-limit 10/100]
              prints the new key alone on stdout, once`,
    flags: ["name", ...GRANT_FLAGS, "expires-in"],
    async run(admin, options) {
      const name = options.name;
      if (name === undefined || name.trim() === "") throw new UsageError("--name is required");
      const expiresIn = options["expires-in"];
      const created = await admin.create({
        name,
        ...grantFromFlags(options),
        expiresAt: expiresIn === undefined ? undefined : new Date(Date.now() + parseSeconds(expiresIn, "--expires-in") * 1000),
      });
      note(`created key ${created.keyId} (${name}); store it now, it is not shown again`);
      out(`${created.key}\n`);
    },
  },
  list: {
    help: "  keys list   lists keys (never secrets or hashes)",
    flags: [],
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
    flags: [],
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
    flags: ["grace"],
    async run(admin, options, args) {
      const keyId = keyIdArgument(args[0], "rotate");
      const rotated = await admin.rotate(keyId, parseSeconds(options.grace, "--grace"));
      note(`rotated key ${keyId}; the previous secret works for ${options.grace} more; store the new one now`);
      out(`${rotated.key}\n`);
    },
  },
  revoke: {
    help: "  keys revoke <keyId>",
    flags: [],
    async run(admin, _options, args) {
      const keyId = keyIdArgument(args[0], "revoke");
      await admin.revoke(keyId);
      note(`revoked key ${keyId}; running services drop it within about a minute`);
    },
  },
};

function keyIdArgument(value: string | undefined, command: string): string {
  if (value === undefined || !isKeyId(value)) throw new UsageError(`${command} takes a key id (16 hex chars)`);
  return value;
}

function status(record: KeyRecord): string {
  if (record.disabled) return "revoked";
  return isUsable(record, Date.now()) ? "active" : "expired";
}
