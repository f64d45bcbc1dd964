import { UsageError } from "../errors.js";
import { isUsable, type KeyRecord } from "../keys/index.js";
import { isKeyId } from "../rules.js";
import { fields, note, out, table, type Command } from "./command.js";
import { expiresAtFromFlag, parseSeconds } from "./flags.js";
import { GRANT_FLAGS, grantFlagsGiven, grantFromFlags, grantRows, updateGrant } from "./grant-flags.js";
import type { KeyAdmin } from "./keys-admin.js";

/** `mantle-vend-admin keys …`: one entry per command, its help and what it does. */
export const KEY_COMMANDS: Record<string, Command<KeyAdmin>> = {
  create: {
    help: `  keys create --name N [--regions a,b] [--max-ttl S] [--expires-in 30d] [--rate-limit 10/100]
              [--models P[,P…] | --all-models] [--mints-per-day N | --no-quota]
              prints the new key alone on stdout, once; models are ids or prefixes ending in * (quote them)`,
    flags: ["name", ...GRANT_FLAGS, "expires-in"],
    async run(admin, options) {
      const name = options.name;
      if (name === undefined || name.trim() === "") throw new UsageError("--name is required");
      const created = await admin.create({ name, ...grantFromFlags(options), expiresAt: expiresAtFromFlag(options["expires-in"]) });
      note(`created key ${created.keyId} (${name}); store it now, it is not shown again`);
      out(`${created.key}\n`);
    },
  },
  update: {
    help: `  keys update <keyId> [--regions a,b] [--max-ttl S] [--rate-limit 10/100] [--models P[,P…] | --all-models]
              [--mints-per-day N | --no-quota] [--expires-in 30d] [--name N]
              changes the key's grant (the flags given; the rest stays) without touching its secret`,
    flags: ["name", ...GRANT_FLAGS, "expires-in"],
    async run(admin, options, args) {
      const keyId = keyIdArgument(args[0], "update");
      const name = options.name;
      if (name !== undefined && name.trim() === "") throw new UsageError("--name must not be empty");
      const expiresIn = options["expires-in"];
      if (!grantFlagsGiven(options) && name === undefined && expiresIn === undefined) {
        throw new UsageError("update needs at least one of --regions, --max-ttl, --rate-limit, --models, --all-models, --mints-per-day, --no-quota, --expires-in, --name");
      }
      const expiresAt = expiresAtFromFlag(expiresIn);
      // Every flag is checked before the store is read, so a bad one changes nothing.
      grantFromFlags(options);
      const current = await admin.show(keyId);
      const record = await admin.update(keyId, { grant: updateGrant(current, options), ...(name === undefined ? {} : { name }), ...(expiresAt === undefined ? {} : { expiresAt }) });
      note(`updated key ${keyId} (${record.name}); running services pick it up within about a minute`);
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
        ...grantRows(record),
        ["created", record.createdAt],
        ["expires", record.expiresAt ?? "never"],
        ["rotated", record.rotatedAt ?? "never"],
        ["previous secret valid until", record.previousExpiresAt ?? "-"],
      ];
      out(fields(rows));
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
