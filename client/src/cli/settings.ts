/** Where the CLI's settings come from: the environment, overridden by flags. */
import { lstatSync, realpathSync, statSync } from "node:fs";
import { delimiter, join, sep } from "node:path";
import { readApiKeyFile } from "../api-key-file.js";
import { isRegionName } from "../rules.js";
import { MantleVendClient } from "../client.js";
import { MantleVendError } from "../errors.js";
import { identityEnvironment } from "../identity-source.js";
import { loginToken, type LoginContext } from "../login.js";
import { isLoopbackHost } from "../loopback.js";
import { readLoginSession } from "../login-session.js";
import { FileTokenCache, type FileTokenCacheOptions } from "../token-cache.js";
import { normaliseServiceUrl } from "../transport.js";
import type { MantleVendClientOptions } from "../types.js";
import { stringFlag, type GivenFlags } from "./flags.js";
import { ConfigError, UsageError } from "./errors.js";
import { stderr } from "./output.js";

/**
 * What the CLI presents to the service: an API key, an identity (`MANTLE_VEND_IDENTITY` or
 * `--identity`), or — when neither is set — the session `mantle-vend login` saved for the URL.
 */
type CredentialSetting = { apiKey: string } | { identity: string; fromFlag: boolean } | { savedLogin: true };

/** The service a command talks to: its URL (normalised) and whether plain http to a non-loopback host is allowed. */
export interface ServiceSettings {
  url: string;
  urlFromFlag: boolean;
  allowInsecureHttp: boolean;
  /** The environment the settings were read from (identity sources read it too). */
  env: NodeJS.ProcessEnv;
}

export interface Settings extends ServiceSettings {
  credential: CredentialSetting;
  region: string | undefined;
  /** Where the region came from: the flag or AWS_REGION; undefined for the service's default for the key. */
  regionSource: "--region" | "AWS_REGION" | undefined;
  /** The variables a command a tool runs with only some of the environment (OpenClaw's resolver) needs for the credential. */
  credentialEnv: string[];
  /** Retries of a failed request (network error, timeout, 429, 5xx) from MANTLE_VEND_RETRIES; unset = the library's default. */
  retries: number | undefined;
}

export function serviceSettings(args: GivenFlags, env: NodeJS.ProcessEnv): ServiceSettings {
  const flagUrl = stringFlag(args, "url");
  const rawUrl = flagUrl ?? env["MANTLE_VEND_URL"];
  if (rawUrl === undefined || rawUrl.trim() === "") throw new ConfigError("no service URL: set MANTLE_VEND_URL or pass --url");
  let url: string;
  try {
    url = normaliseServiceUrl(rawUrl.trim());
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : "the service URL is not valid");
  }
  return { url, urlFromFlag: flagUrl !== undefined, allowInsecureHttp: allowInsecureHttp(args, env), env };
}

export function settings(args: GivenFlags, env: NodeJS.ProcessEnv): Settings {
  const service = serviceSettings(args, env);
  const credential = credentialFrom(args, env);
  const { region, regionSource } = regionFrom(args, env);
  return {
    ...service,
    credential,
    region,
    credentialEnv: credentialEnvironment(credential, env),
    regionSource,
    retries: retriesFrom(env),
  };
}

/** A key, an identity, or the saved login — a key and an identity both is a mistake (exit 2). */
function credentialFrom(args: GivenFlags, env: NodeJS.ProcessEnv): CredentialSetting {
  const flagIdentity = stringFlag(args, "identity");
  const identity = flagIdentity ?? (nonEmpty(env["MANTLE_VEND_IDENTITY"]) ? env["MANTLE_VEND_IDENTITY"].trim() : undefined);
  const hasKey = nonEmpty(env["MANTLE_VEND_API_KEY"]) || nonEmpty(env["MANTLE_VEND_API_KEY_FILE"]);
  if (identity !== undefined && hasKey) {
    throw new UsageError(`an API key (${nonEmpty(env["MANTLE_VEND_API_KEY_FILE"]) ? "MANTLE_VEND_API_KEY_FILE" : "MANTLE_VEND_API_KEY"}) and an identity (${flagIdentity === undefined ? "MANTLE_VEND_IDENTITY" : "--identity"}) are both set: use one`);
  }
  if (identity !== undefined) return { identity, fromFlag: flagIdentity !== undefined };
  if (hasKey) return { apiKey: apiKeyFrom(env) };
  return { savedLogin: true };
}

function credentialEnvironment(credential: CredentialSetting, env: NodeJS.ProcessEnv): string[] {
  if ("apiKey" in credential) return [nonEmpty(env["MANTLE_VEND_API_KEY_FILE"]) ? "MANTLE_VEND_API_KEY_FILE" : "MANTLE_VEND_API_KEY"];
  if ("identity" in credential) return identityEnvironment(credential.identity);
  return identityEnvironment("login").filter((name) => name !== "MANTLE_VEND_IDENTITY");
}

/** `--region`, else AWS_REGION; a value that is no region name is refused before any request. */
function regionFrom(args: GivenFlags, env: NodeJS.ProcessEnv): Pick<Settings, "region" | "regionSource"> {
  const flag = stringFlag(args, "region");
  if (flag !== undefined) {
    if (!isRegionName(flag)) throw new UsageError(`--region ${JSON.stringify(flag)} is not a region name (like us-west-2)`);
    return { region: flag, regionSource: "--region" };
  }
  const variable = env["AWS_REGION"]?.trim() ?? "";
  if (variable === "") return { region: undefined, regionSource: undefined };
  if (!isRegionName(variable)) throw new ConfigError(`AWS_REGION=${JSON.stringify(variable)} is not a region name (like us-west-2)`);
  return { region: variable, regionSource: "AWS_REGION" };
}

const MAX_RETRIES = 10;

/** MANTLE_VEND_RETRIES: 0 fails at the first error, for a script that would rather retry itself. */
function retriesFrom(env: NodeJS.ProcessEnv): number | undefined {
  const value = env["MANTLE_VEND_RETRIES"]?.trim() ?? "";
  if (value === "") return undefined;
  if (!/^\d{1,2}$/.test(value) || Number(value) > MAX_RETRIES) throw new ConfigError(`MANTLE_VEND_RETRIES must be a whole number from 0 to ${MAX_RETRIES}`);
  return Number(value);
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value.trim() !== "";

const NO_CREDENTIAL = "no API key or identity: set MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE) or MANTLE_VEND_IDENTITY, or run mantle-vend login";

/** The key from MANTLE_VEND_API_KEY, or from the file MANTLE_VEND_API_KEY_FILE names (one of the two). */
function apiKeyFrom(env: NodeJS.ProcessEnv): string {
  const inline = env["MANTLE_VEND_API_KEY"];
  const file = env["MANTLE_VEND_API_KEY_FILE"];
  if (nonEmpty(inline) && nonEmpty(file)) throw new ConfigError("set MANTLE_VEND_API_KEY or MANTLE_VEND_API_KEY_FILE, not both");
  if (nonEmpty(file)) {
    try {
      return readApiKeyFile(file.trim(), "MANTLE_VEND_API_KEY_FILE");
    } catch (error) {
      throw new ConfigError(error instanceof Error ? error.message : "MANTLE_VEND_API_KEY_FILE cannot be read");
    }
  }
  const apiKey = inline?.trim();
  if (apiKey === undefined || apiKey === "") throw new ConfigError(NO_CREDENTIAL);
  if (/\s/.test(apiKey)) throw new ConfigError("MANTLE_VEND_API_KEY contains whitespace");
  return apiKey;
}

function allowInsecureHttp(args: GivenFlags, env: NodeJS.ProcessEnv): boolean {
  if (args.flags.has("allow-insecure-http")) return true;
  const value = env["MANTLE_VEND_ALLOW_INSECURE_HTTP"] ?? "";
  if (value === "1" || value === "true") return true;
  if (value === "" || value === "0" || value === "false") return false;
  throw new ConfigError("MANTLE_VEND_ALLOW_INSECURE_HTTP must be 1 or 0");
}

/** The library client for these settings; `cache` adds the per-user token file cache. */
export function clientFor(s: Settings, options: { cache: boolean } & Partial<MantleVendClientOptions>): MantleVendClient {
  const { cache, ...rest } = options;
  const store = cache ? new FileTokenCache(tokenCacheKey(s)) : undefined;
  return new MantleVendClient({
    url: s.url,
    ...clientCredential(s),
    env: s.env,
    allowInsecureHttp: s.allowInsecureHttp,
    ...(s.retries === undefined ? {} : { maxRetries: s.retries }),
    ...(s.region === undefined ? {} : { region: s.region }),
    ...(store === undefined ? {} : { store }),
    ...rest,
  });
}

/** The token cache keys on the credential: the key (hashed), or the identity spec — never an identity's token. */
function tokenCacheKey(s: Settings): FileTokenCacheOptions {
  const { credential } = s;
  if ("apiKey" in credential) return { url: s.url, apiKey: credential.apiKey };
  return { url: s.url, identity: "identity" in credential ? credential.identity : "login" };
}

/** The library's credential option for these settings; without a key or identity, the saved login, if there is one. */
function clientCredential(s: Settings): Pick<MantleVendClientOptions, "apiKey" | "identity"> {
  const { credential } = s;
  if ("apiKey" in credential) return { apiKey: credential.apiKey };
  if ("identity" in credential) return { identity: credential.identity };
  return {
    identity: async () => {
      // The library turns failures of its own making into MantleVendErrors; this one is configuration (exit 3).
      if ((await readLoginSession(s.url, s.env)) === undefined) throw new MantleVendError({ status: 0, code: "invalid_options", message: NO_CREDENTIAL });
      return loginToken(loginContext(s));
    },
  };
}

/** The flags a command a tool runs needs to reach the same service, with the same credential, as this one. */
export function serviceArgs(s: Settings): string[] {
  const identityFlag = "identity" in s.credential && s.credential.fromFlag ? ["--identity", s.credential.identity] : [];
  return [...(s.urlFromFlag ? ["--url", s.url] : []), ...identityFlag, ...(s.allowInsecureHttp ? ["--allow-insecure-http"] : [])];
}

/** `--proxy URL`, normalised; a usage error for anything but an http(s) URL. */
export function proxyUrlFlag(args: GivenFlags): string | undefined {
  const proxy = stringFlag(args, "proxy");
  if (proxy === undefined) return undefined;
  try {
    return normaliseServiceUrl(proxy);
  } catch {
    throw new UsageError(`--proxy needs an http(s) URL, got ${JSON.stringify(proxy)}`);
  }
}

/** How configs run this CLI: `mantle-vend` when that name on PATH is this CLI, else its real path; and its real path. */
export interface CliCommand {
  /** For tools that run a command line (a shell, or a PATH lookup). */
  run: string;
  /** The real path, for tools that run it without a shell or PATH (OpenClaw's exec secret provider). */
  absolute: string;
}

/** The first `name` on `PATH` that is an executable file, as its real path. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      const found = realpathSync(join(dir, name));
      if (statSync(found).isFile() && (statSync(found).mode & 0o111) !== 0) return found;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/**
 * The CLI as configs should run it. Installed on PATH (`npm install -g`), configs name `mantle-vend` and
 * keep working through upgrades; otherwise they hold this file's real path, and a path into a clone or
 * npx's cache, which moves or is cleaned away, is warned about.
 */
export function cliCommand(env: NodeJS.ProcessEnv, warn: (line: string) => void = stderr): CliCommand {
  const absolute = realpathSync(process.argv[1] ?? "");
  const stat = lstatSync(absolute);
  if (!stat.isFile() || (stat.mode & 0o022) !== 0 || (stat.mode & 0o100) === 0) {
    warn(`warning: ${absolute} must be a regular executable file that is not group/world-writable for OpenClaw to run it (chmod 755)`);
  }
  if (onPath("mantle-vend", env) === absolute) return { run: "mantle-vend", absolute };
  const where = absolute.includes(`${sep}_npx${sep}`) ? "npx's cache" : absolute.split(sep).includes("node_modules") ? undefined : "a clone of mantle-vend";
  if (where !== undefined) {
    warn(`warning: the config runs mantle-vend as ${absolute}, inside ${where}: it stops working when that moves or is cleaned away; install the client (npm install -g …) and run setup again`);
  }
  return { run: absolute, absolute };
}

/** What the login commands, and the saved login as a credential, work with. */
export function loginContext(s: ServiceSettings): LoginContext {
  const { protocol, hostname } = new URL(s.url);
  if (protocol === "http:" && !isLoopbackHost(hostname) && !s.allowInsecureHttp) {
    throw new ConfigError(`refusing to log in to ${s.url} over plain http: use https, or allow it explicitly (--allow-insecure-http)`);
  }
  return { url: s.url, env: s.env, http: { fetch: (input, init) => fetch(input, init), timeoutMs: 10_000 }, now: Date.now };
}
