import { azureIdentityToken } from "./azure-imds.js";
import { MantleVendError } from "./errors.js";
import { gcpIdentityToken } from "./gcp-metadata.js";
import { GITHUB_ACTIONS_DEFAULT_AUDIENCE, githubActionsToken } from "./github-actions.js";
import { runIdentityCommand } from "./identity-command.js";
import { readIdentityFile } from "./identity-file.js";
import type { IdentityHttp } from "./identity-http.js";
import { loginToken } from "./login.js";

/** Where an identity's token comes from, each time a fresh one is needed. */
export type IdentitySource = () => Promise<string>;

export interface IdentitySourceContext {
  /** The normalised service URL (a login session belongs to it). */
  url: string;
  env: Record<string, string | undefined>;
  http: IdentityHttp;
  now: () => number;
}

const IDENTITY_SPECS = "github-actions[:AUDIENCE], file:PATH, command:CMD, gcp:AUDIENCE, azure:RESOURCE or login";

/**
 * The source `MANTLE_VEND_IDENTITY` (or `--identity`, or the library's `identity` option) names:
 * `github-actions[:AUDIENCE]`, `file:PATH`, `command:CMD`, `gcp:AUDIENCE`, `azure:RESOURCE` or `login`.
 * Nothing is read or fetched until a token is needed.
 */
export function identitySource(spec: string, context: IdentitySourceContext): IdentitySource {
  const colon = spec.indexOf(":");
  const kind = colon === -1 ? spec : spec.slice(0, colon);
  const value = colon === -1 ? undefined : spec.slice(colon + 1);
  const needs = (what: string, example: string): string => {
    if (value === undefined || value.trim() === "") throw invalid(`${kind} needs ${what}, e.g. ${kind}:${example}`);
    return value.trim();
  };
  switch (kind) {
    case "github-actions": {
      const audience = value === undefined ? GITHUB_ACTIONS_DEFAULT_AUDIENCE : needs("an audience", "mantle-vend");
      return () => githubActionsToken(audience, context.env, context.http);
    }
    case "file": {
      const path = needs("a path", "/var/run/secrets/mantle-vend/token");
      return async () => readIdentityFile(path);
    }
    case "command": {
      const command = needs("a command", "'vault read -field=token auth/jwt'");
      return () => runIdentityCommand(command, context.env);
    }
    case "gcp": {
      const audience = needs("an audience", "mantle-vend");
      return () => gcpIdentityToken(audience, context.env, context.http);
    }
    case "azure": {
      const resource = needs("a resource", "api://mantle-vend");
      return () => azureIdentityToken(resource, context.env, context.http);
    }
    case "login":
      if (value !== undefined) throw invalid("login takes no value: the session `mantle-vend login` saved for the service URL is used");
      return () => loginToken({ url: context.url, env: context.env, http: context.http, now: context.now });
    default:
      throw invalid(`the identity must be one of ${IDENTITY_SPECS}`);
  }
}

/** What each source reads from the environment besides its spec. */
const SOURCE_ENV: Record<string, readonly string[]> = {
  "github-actions": ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
  gcp: ["GCE_METADATA_HOST"],
  azure: ["MANTLE_VEND_AZURE_IMDS_URL"],
  login: ["HOME", "XDG_CONFIG_HOME"],
};

/** The variables a command run with only a few of its caller's (OpenClaw's resolver) needs to reach this identity. */
export function identityEnvironment(spec: string): string[] {
  const kind = spec.includes(":") ? spec.slice(0, spec.indexOf(":")) : spec;
  return ["MANTLE_VEND_IDENTITY", ...(Object.hasOwn(SOURCE_ENV, kind) ? (SOURCE_ENV[kind] ?? []) : [])];
}

function invalid(message: string): MantleVendError {
  return new MantleVendError({ status: 0, code: "invalid_options", message: `MANTLE_VEND_IDENTITY ${message}` });
}
