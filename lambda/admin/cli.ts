import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs } from "node:util";
import { OverridesError } from "../catalog/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../config.js";
import { UsageError } from "../errors.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";
import { group, type Group } from "./command.js";
import { GRANT_FLAGS } from "./grant-flags.js";
import { IdentityAdmin } from "./identities-admin.js";
import { IDENTITY_COMMANDS } from "./identities-commands.js";
import { KeyAdmin } from "./keys-admin.js";
import { KEY_COMMANDS } from "./keys-commands.js";
import { ModelsAdmin } from "./models-admin.js";
import { MODEL_COMMANDS } from "./models-commands.js";
import { OPTIONS } from "./options.js";
import { USAGE_COMMANDS, usageSource } from "./usage-commands.js";

const GROUPS: Record<string, Group> = {
  keys: group("keys", ["name", ...GRANT_FLAGS, "expires-in", "grace"], (store, prefix) => new KeyAdmin(store, prefix), KEY_COMMANDS),
  identities: group(
    "identities",
    ["issuer", "audience", "claim", "subject", "jwks-uri", "jwks-file", "max-token-lifetime", "expires-in", ...GRANT_FLAGS, "disable", "enable", "json"],
    (store, prefix) => new IdentityAdmin(store, prefix),
    IDENTITY_COMMANDS,
  ),
  models: group(
    "models",
    ["hide", "show", "apis", "route", "context-window", "max-output-tokens", "reasoning", "input", "add", "json"],
    (store, prefix) => new ModelsAdmin(store, prefix),
    MODEL_COMMANDS,
  ),
  usage: group("usage", ["day"], usageSource, USAGE_COMMANDS),
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
  if (values.help || chosen === undefined || (name === undefined && !chosen.single)) {
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
