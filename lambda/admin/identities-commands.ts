import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { checkJwks, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, DEFAULT_SUBJECT_TEMPLATE, isClaimName, isClaimPattern, isUsablePolicy, parseSubjectTemplate, type IdentityPolicy, type PublicJwks } from "../identity/index.js";
import { identityUrlProblem } from "../rules.js";
import { fields, note, out, table, type Command, type Options } from "./command.js";
import { commaList, expiresAtFromFlag, parseSeconds } from "./flags.js";
import { GRANT_FLAGS, grantFlagsGiven, grantFromFlags, grantRows, updateGrant } from "./grant-flags.js";
import type { IdentityAdmin, PolicyChange } from "./identities-admin.js";

/** The flags of `add` (and of `update`, which also takes --disable and --enable). */
const POLICY_FLAG_NAMES = ["issuer", "audience", "claim", "subject", "jwks-uri", "jwks-file", "max-token-lifetime", "expires-in", ...GRANT_FLAGS] as const;

const POLICY_FLAGS = `--issuer URL --audience A[,A…] [--claim NAME=PATTERN]… [--subject TEMPLATE]
                 [--jwks-uri URL | --jwks-file F] [--max-token-lifetime 1d] [--expires-in D]
                 [${GRANT_FLAGS.map((flag) => `--${flag} …`).join("] [")}]`;

/** `mantle-vend-admin identities …`: the policies that admit OIDC tokens (docs/identity.md). */
export const IDENTITY_COMMANDS: Record<string, Command<IdentityAdmin>> = {
  add: {
    help: `  identities add <name> ${POLICY_FLAGS}
              admits tokens of the issuer for one of the audiences whose claims match; makes no network call`,
    flags: POLICY_FLAG_NAMES,
    async run(admin, options, args) {
      if (options.disable || options.enable) throw new UsageError("add makes an enabled policy; --disable and --enable belong to update");
      const policy = await admin.add(nameArgument(args, "add"), await changeFromFlags(options));
      note(`added identity policy ${policy.name} for ${policy.record.issuer}; running services admit its tokens within about a minute`);
    },
  },
  list: {
    help: "  identities list",
    flags: [],
    async run(admin) {
      const now = Date.now();
      const rows = (await admin.list()).map(({ name, policy }) =>
        policy === undefined
          ? [name, "-", "-", "-", "unreadable (ignored)"]
          : [name, policy.record.issuer, policy.record.audiences.join(","), policy.grant.regions.join(","), status(policy, now)],
      );
      out(table(["NAME", "ISSUER", "AUDIENCES", "REGIONS", "STATUS"], rows));
    },
  },
  show: {
    help: "  identities show <name> [--json]",
    flags: ["json"],
    async run(admin, options, args) {
      const policy = await admin.show(nameArgument(args, "show"));
      if (options.json) {
        out(`${JSON.stringify({ name: policy.name, ...policy.record, ...policy.grant }, null, 2)}\n`);
        return;
      }
      const { record } = policy;
      out(
        fields([
          ["name", policy.name],
          ["status", status(policy, Date.now())],
          ["issuer", record.issuer],
          ["audiences", record.audiences.join(", ")],
          ["claims", Object.entries(record.claims ?? {}).map(([claim, pattern]) => `${claim}=${pattern}`).join("  ") || "any"],
          ["subject", record.subject ?? `${DEFAULT_SUBJECT_TEMPLATE} (default)`],
          ["keys", keysText(policy)],
          ["max token lifetime", `${record.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS} s`],
          ...grantRows(policy.grant),
          ["created", record.createdAt],
          ["expires", record.expiresAt ?? "never"],
        ]),
      );
    },
  },
  update: {
    help: `  identities update <name> [the flags of add] [--disable | --enable]
              changes only what the flags name; --claim replaces every claim pattern`,
    flags: [...POLICY_FLAG_NAMES, "disable", "enable"],
    async run(admin, options, args) {
      const name = nameArgument(args, "update");
      const change = await changeFromFlags(options);
      if (options.disable && options.enable) throw new UsageError("--disable and --enable exclude each other");
      if (options.disable || options.enable) change.record.disabled = options.disable === true;
      if (Object.keys(change.record).length === 0 && !grantFlagsGiven(options)) throw new UsageError("update needs at least one flag to change");
      const current = await admin.show(name);
      // The grant flags as keys update applies them: what they set replaces, --all-models and --no-quota remove.
      const policy = await admin.update(name, { record: change.record, ...(grantFlagsGiven(options) ? { grant: updateGrant(current.grant, options) } : {}) });
      note(`updated identity policy ${policy.name} (${status(policy, Date.now())}); running services pick it up within about a minute`);
    },
  },
  remove: {
    help: "  identities remove <name>",
    flags: [],
    async run(admin, _options, args) {
      const name = nameArgument(args, "remove");
      await admin.remove(name);
      note(`removed identity policy ${name}; running services stop admitting its tokens within about a minute`);
    },
  },
};

function nameArgument(args: string[], command: string): string {
  const [name, ...extra] = args;
  if (name === undefined || extra.length > 0) throw new UsageError(`identities ${command} takes one policy name`);
  return name;
}

/** The policy fields the flags give, each checked; the grant's through grantFromFlags. */
async function changeFromFlags(options: Options): Promise<PolicyChange> {
  const record: PolicyChange["record"] = {};
  if (options.issuer !== undefined) record.issuer = url(options.issuer, "--issuer", true);
  if (options.audience !== undefined) {
    const audiences = commaList(options.audience);
    if (audiences.length === 0) throw new UsageError(`--audience takes one or more audiences, comma-separated, got "${options.audience}"`);
    record.audiences = audiences;
  }
  if (options.claim !== undefined) record.claims = Object.fromEntries(options.claim.map(claimPattern));
  if (options.subject !== undefined) {
    if (parseSubjectTemplate(options.subject) === undefined) {
      throw new UsageError(`--subject takes a template of visible ASCII with {claim} or {/json/pointer} placeholders, e.g. repo:{repository}, got "${options.subject}"`);
    }
    record.subject = options.subject;
  }
  if (options["jwks-uri"] !== undefined && options["jwks-file"] !== undefined) throw new UsageError("--jwks-uri and --jwks-file exclude each other: a policy has one key source");
  if (options["jwks-uri"] !== undefined) record.jwksUri = url(options["jwks-uri"], "--jwks-uri", false);
  if (options["jwks-file"] !== undefined) record.jwks = await jwksFile(options["jwks-file"]);
  if (options["max-token-lifetime"] !== undefined) {
    const seconds = parseSeconds(options["max-token-lifetime"], "--max-token-lifetime");
    if (seconds < 60) throw new UsageError(`--max-token-lifetime must be at least 60 s, got "${options["max-token-lifetime"]}"`);
    record.maxTokenLifetimeSeconds = seconds;
  }
  const expiresAt = expiresAtFromFlag(options["expires-in"]);
  if (expiresAt !== undefined) record.expiresAt = expiresAt.toISOString();
  return { record, grant: grantFromFlags(options) };
}

/** https, or plain http to a loopback host (a local provider); nothing is fetched here. */
function url(value: string, flag: string, issuer: boolean): string {
  const problem = identityUrlProblem(value, { allowLoopbackHttp: true, issuer });
  if (problem !== undefined) throw new UsageError(`${flag} ${problem}, got "${value}"`);
  return value;
}

function claimPattern(value: string): [string, string] {
  const at = value.indexOf("=");
  const name = at === -1 ? "" : value.slice(0, at);
  const pattern = at === -1 ? "" : value.slice(at + 1);
  if (!isClaimName(name) || !isClaimPattern(pattern)) {
    throw new UsageError(`--claim takes NAME=PATTERN (a claim or a /json/pointer, a glob with * and ?), e.g. repository=acme/*, got "${value}"`);
  }
  return [name, pattern];
}

async function jwksFile(path: string): Promise<PublicJwks> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new UsageError(`--jwks-file cannot be read: ${code}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError("--jwks-file is not JSON");
  }
  const checked = checkJwks(parsed);
  if ("problem" in checked) throw new UsageError(`--jwks-file ${checked.problem}`);
  return checked.jwks;
}

function keysText(policy: IdentityPolicy): string {
  const { jwks, jwksUri, issuer } = policy.record;
  if (jwks !== undefined) return `inline, ${jwks.keys.length} key${jwks.keys.length === 1 ? "" : "s"} (${jwks.keys.map((key) => String(key.kid ?? "no kid")).join(", ")})`;
  return jwksUri ?? `discovery (${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration)`;
}

function status(policy: IdentityPolicy, nowMs: number): string {
  if (policy.record.disabled === true) return "disabled";
  return isUsablePolicy(policy, nowMs) ? "active" : "expired";
}
