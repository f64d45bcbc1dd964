import { ConfigError } from "./errors.js";
import { DEFAULT_MANTLE_ENDPOINT, MANTLE_REGIONS } from "./regions.js";
import { identityUrlProblem, isRegionName } from "./rules.js";

export interface Config {
  parameterPrefix: string;
  regions: string[];
  defaultRegion: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  catalogTtlSeconds: number;
  keyCacheMaxAgeSeconds: number;
  /** The default rate limit of a principal whose grant sets none (a grant's RateLimit has this shape). */
  rateLimit: { perSecond: number; burst: number };
  mantleEndpoint: string;
  /** A request's whole path (store reads, a live fetch, a store write) ends within this. */
  requestDeadlineMs: number;
  tokenRoleArn?: string;
  /** The DynamoDB table of the fleet-wide limits; unset: per-container limits only. */
  limitsTable?: string;
  /** What a failing limits table does: admit and count (`open`) or answer 503 (`closed`). */
  limitsFailure: "open" | "closed";
  /**
   * Identity providers over plain http on a loopback host (tests, `npm start`); never in Lambda,
   * where every issuer and JWKS address must be https.
   */
  allowLoopbackIssuers: boolean;
  /** What `GET /v1/identity` advertises for `mantle-vend login`; undefined when people do not log in. */
  login?: LoginConfig;
}

/** The OpenID Provider people log in with (`mantle-vend login`, device authorization grant). */
export interface LoginConfig {
  issuer: string;
  clientId: string;
  scopes: string[];
}

/** What `mantle-vend login` asks for unless MANTLE_VEND_LOGIN_SCOPES says otherwise. */
export const DEFAULT_LOGIN_SCOPES = ["openid", "email", "profile", "offline_access"];

/** The largest expiry a bearer token can carry (the token generator's own limit). */
export const TOKEN_MAX_TTL_SECONDS = 43_200;
export const TOKEN_MIN_TTL_SECONDS = 60;
/** Role chaining (Lambda role → token role) caps an attribution-mode session at one hour. */
export const ATTRIBUTION_MAX_SESSION_SECONDS = 3600;
/** Default and default maximum token TTL: short, because Lambda hides its own credentials' expiry. */
export const DEFAULT_TTL_SECONDS = 3600;
export const DEFAULT_CATALOG_TTL_SECONDS = 3600;
export const MAX_CATALOG_TTL_SECONDS = 7 * 86_400;
export const DEFAULT_PARAMETER_PREFIX = "/mantle-vend";
/** Well inside the API function's 10 s timeout, leaving time to answer and log. */
export const DEFAULT_REQUEST_DEADLINE_MS = 8_000;
/** SSM allows 15 levels; the service appends up to three (`/catalogs/<region>/<i>`). */
const MAX_PREFIX_LEVELS = 12;

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the service's environment (docs/configuration.md). Any bad value throws a
 * ConfigError naming the variable, so start-up stops instead of serving wrongly.
 */
export function loadConfig(env: Env): Config {
  const parameterPrefix = parsePrefix(env.MANTLE_VEND_PARAMETER_PREFIX ?? DEFAULT_PARAMETER_PREFIX);
  const regions = parseRegions(env.MANTLE_VEND_REGIONS);
  const maxTtlSeconds = integer(env, "MANTLE_VEND_MAX_TTL_SECONDS", DEFAULT_TTL_SECONDS, TOKEN_MIN_TTL_SECONDS, TOKEN_MAX_TTL_SECONDS);
  const defaultTtlSeconds = integer(env, "MANTLE_VEND_DEFAULT_TTL_SECONDS", Math.min(DEFAULT_TTL_SECONDS, maxTtlSeconds), TOKEN_MIN_TTL_SECONDS, TOKEN_MAX_TTL_SECONDS);
  if (defaultTtlSeconds > maxTtlSeconds) {
    throw new ConfigError(
      `MANTLE_VEND_DEFAULT_TTL_SECONDS (${defaultTtlSeconds}) must not exceed MANTLE_VEND_MAX_TTL_SECONDS (${maxTtlSeconds})`,
    );
  }
  const config: Config = {
    parameterPrefix,
    regions,
    defaultRegion: parseDefaultRegion(env, regions),
    defaultTtlSeconds,
    maxTtlSeconds,
    catalogTtlSeconds: integer(env, "MANTLE_VEND_CATALOG_TTL_SECONDS", DEFAULT_CATALOG_TTL_SECONDS, 60, MAX_CATALOG_TTL_SECONDS),
    keyCacheMaxAgeSeconds: integer(env, "MANTLE_VEND_KEY_CACHE_MAX_AGE_SECONDS", 900, 60, 86_400),
    rateLimit: {
      perSecond: positiveNumber(env, "MANTLE_VEND_RATE_LIMIT_PER_SECOND", 10),
      burst: integer(env, "MANTLE_VEND_RATE_LIMIT_BURST", 100, 1, 1_000_000),
    },
    mantleEndpoint: parseEndpoint(env.MANTLE_VEND_MANTLE_ENDPOINT ?? DEFAULT_MANTLE_ENDPOINT),
    requestDeadlineMs: integer(env, "MANTLE_VEND_REQUEST_DEADLINE_MS", DEFAULT_REQUEST_DEADLINE_MS, 100, 60_000),
    limitsFailure: parseLimitsFailure(env.MANTLE_VEND_LIMITS_FAILURE),
    allowLoopbackIssuers: flag(env, "MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS"),
  };
  const table = env.MANTLE_VEND_LIMITS_TABLE;
  if (table !== undefined && table !== "") {
    // DynamoDB's own rule for table names.
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
      throw new ConfigError(`MANTLE_VEND_LIMITS_TABLE must be a DynamoDB table name (3-255 letters, digits, "_", "-", "."), got "${table}"`);
    }
    config.limitsTable = table;
  }
  const login = parseLogin(env, config.allowLoopbackIssuers);
  if (login !== undefined) config.login = login;
  const roleArn = env.MANTLE_VEND_TOKEN_ROLE_ARN;
  if (roleArn !== undefined && roleArn !== "") {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/.test(roleArn)) {
      throw new ConfigError(`MANTLE_VEND_TOKEN_ROLE_ARN must be an IAM role ARN, got "${roleArn}"`);
    }
    config.tokenRoleArn = roleArn;
  }
  return config;
}

/**
 * Why a parameter prefix is unusable, or undefined when it is fine. Shared by the
 * service's start-up check and the CDK construct, so both refuse the same prefixes.
 */
export function prefixProblem(prefix: string): string | undefined {
  const segments = prefix.slice(1).split("/");
  if (!prefix.startsWith("/")) return `must start with "/" (got "${prefix}")`;
  if (prefix.length > 1 && prefix.endsWith("/")) return `must not end with "/" (got "${prefix}")`;
  if (segments.some((s) => !/^[A-Za-z0-9_.-]+$/.test(s))) {
    return `may only contain letters, digits, "_", ".", "-" and single "/" separators (got "${prefix}")`;
  }
  if (/^(aws|ssm)/i.test(segments[0] ?? "")) return `must not begin with "aws" or "ssm", which Parameter Store reserves (got "${prefix}")`;
  if (segments.length > MAX_PREFIX_LEVELS) return `may have at most ${MAX_PREFIX_LEVELS} levels (got ${segments.length})`;
  if (prefix.length > 200) return "must be at most 200 characters";
  return undefined;
}

function parsePrefix(value: string): string {
  const problem = prefixProblem(value);
  if (problem !== undefined) throw new ConfigError(`MANTLE_VEND_PARAMETER_PREFIX ${problem}`);
  return value;
}

function parseLimitsFailure(value: string | undefined): "open" | "closed" {
  if (value === undefined || value === "" || value === "open") return "open";
  if (value === "closed") return "closed";
  throw new ConfigError(`MANTLE_VEND_LIMITS_FAILURE must be open or closed, got "${value}"`);
}

function parseRegions(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "") return [...MANTLE_REGIONS];
  const regions = [...new Set(value.split(",").map((region) => region.trim()).filter((r) => r !== ""))];
  const bad = regions.filter((region) => !isRegionName(region));
  if (bad.length > 0 || regions.length === 0) {
    throw new ConfigError(`MANTLE_VEND_REGIONS must be a comma-separated list of AWS regions, got "${value}"`);
  }
  return regions;
}

function parseDefaultRegion(env: Env, regions: string[]): string {
  const explicit = env.MANTLE_VEND_DEFAULT_REGION;
  if (explicit !== undefined && explicit !== "") {
    if (!regions.includes(explicit)) {
      throw new ConfigError(`MANTLE_VEND_DEFAULT_REGION "${explicit}" is not in MANTLE_VEND_REGIONS`);
    }
    return explicit;
  }
  const own = env.AWS_REGION;
  return own !== undefined && regions.includes(own) ? own : (regions[0] as string);
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value.replace("{region}", "region"));
  } catch {
    throw new ConfigError(`MANTLE_VEND_MANTLE_ENDPOINT must be a URL template, got "${value}"`);
  }
  if (!value.includes("{region}") || !/^https?:$/.test(url.protocol) || value.endsWith("/")) {
    throw new ConfigError(
      `MANTLE_VEND_MANTLE_ENDPOINT must be an http(s) URL containing {region} and no trailing /, got "${value}"`,
    );
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  }
  return value;
}

/** "1" or "0" (unset or empty: off). */
function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "0") return false;
  if (raw === "1") return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

/** The login provider, when MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID are both set. */
function parseLogin(env: Env, allowLoopbackHttp: boolean): LoginConfig | undefined {
  const issuer = env.MANTLE_VEND_LOGIN_ISSUER ?? "";
  const clientId = env.MANTLE_VEND_LOGIN_CLIENT_ID ?? "";
  const rawScopes = env.MANTLE_VEND_LOGIN_SCOPES ?? "";
  if (issuer === "" && clientId === "") {
    if (rawScopes !== "") throw new ConfigError("MANTLE_VEND_LOGIN_SCOPES is set, but MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID are not");
    return undefined;
  }
  if (issuer === "" || clientId === "") {
    throw new ConfigError("MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID go together: set both, or neither");
  }
  const login = { issuer, clientId, scopes: rawScopes.trim() === "" ? [...DEFAULT_LOGIN_SCOPES] : [...new Set(rawScopes.split(/[\s,]+/).filter((s) => s !== ""))] };
  const problem = loginProblem(login, allowLoopbackHttp);
  if (problem !== undefined) {
    const name = { issuer: "MANTLE_VEND_LOGIN_ISSUER", clientId: "MANTLE_VEND_LOGIN_CLIENT_ID", scopes: "MANTLE_VEND_LOGIN_SCOPES" }[problem.field];
    throw new ConfigError(`${name} ${problem.problem}, got "${env[name] ?? ""}"`);
  }
  return login;
}

/** Why a login provider cannot be advertised, or undefined when it can: start-up and the construct check the same. */
export function loginProblem(login: LoginConfig, allowLoopbackHttp: boolean): { field: keyof LoginConfig; problem: string } | undefined {
  const issuer = identityUrlProblem(login.issuer, { allowLoopbackHttp, issuer: true });
  if (issuer !== undefined) return { field: "issuer", problem: issuer };
  if (!/^[\x21-\x7e]{1,256}$/.test(login.clientId)) return { field: "clientId", problem: "must be 1-256 visible ASCII characters" };
  // RFC 6749 §3.3 scope tokens; openid is what makes the provider answer with an ID token.
  if (login.scopes.length === 0 || !login.scopes.every((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) || !login.scopes.includes("openid")) {
    return { field: "scopes", problem: "must be OAuth scopes including openid" };
  }
  return undefined;
}
