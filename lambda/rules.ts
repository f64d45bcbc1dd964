/**
 * The rules the client applies too (client/src/rules.ts): what a region name, an API key and a
 * reasoning model look like, and which identity provider URLs may be called. test/contract.test.ts feeds both sides the same tables, so a change
 * here that the client does not follow fails there first.
 */

/** An AWS region name such as `us-east-1`; whether it is served is the allowlist's business. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isRegionName(value: unknown): value is string {
  return typeof value === "string" && REGION_PATTERN.test(value);
}

/** `mvk_<keyId>_<secret>`: keyId is 16 lowercase hex chars, the secret 32 random bytes in base64url. */
const API_KEY_PATTERN = /^mvk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

export function isKeyId(value: unknown): value is string {
  return typeof value === "string" && KEY_ID_PATTERN.test(value);
}

/** The keyId of a well-formed API key, or undefined. */
export function keyIdOf(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
}

/** Mantle does not say which models reason, so it is inferred from the id, ignoring case. */
export const REASONING_MARKERS: readonly string[] = ["thinking", "reasoner", "reasoning", "deepseek.r", "gpt-oss-120b", "gpt-oss-safeguard-120b"];

export function isReasoningModel(id: string): boolean {
  const lower = id.toLowerCase();
  return REASONING_MARKERS.some((marker) => lower.includes(marker));
}

/** Longest model id accepted; real ids are a few dozen characters. */
export const MAX_MODEL_ID_LENGTH = 200;
/** What a model id may hold: printable ASCII but `*`, which only ends a prefix pattern. */
const MODEL_ID_CHARS = /^[\x21-\x29\x2b-\x7e]+$/;

/**
 * A model pattern (grants' `models`, catalog overrides' keys): a model id, or an id prefix ending in
 * one `*` (`*` alone admits every model). Case matters, as it does in IAM's StringLike, which holds
 * the same patterns in attribution mode.
 */
export function isModelPattern(value: string): boolean {
  const body = value.endsWith("*") ? value.slice(0, -1) : value;
  if (body === "") return value === "*";
  return body.length <= MAX_MODEL_ID_LENGTH && MODEL_ID_CHARS.test(body);
}

/** Whether one pattern admits a model id: the exact id, or any id starting with the prefix before `*`. */
export function patternAdmits(pattern: string, id: string): boolean {
  return pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : pattern === id;
}

/** Whether a grant's patterns admit a model id; no patterns (absent) admit every model. */
export function modelAdmitted(patterns: readonly string[] | undefined, id: string): boolean {
  return patterns === undefined || patterns.some((pattern) => patternAdmits(pattern, id));
}

/** A dotted-quad IPv4 address without leading zeros. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

/** 127.0.0.0/8, ::1 (bracketed or not) and `localhost`: plain http to them never crosses a network. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || (IPV4.test(host) && host.startsWith("127."));
}

/**
 * Why `value` may not be used as an identity provider's URL (an issuer, a JWKS or discovery
 * address), or undefined when it may: https, or plain http to a loopback host where that is
 * allowed; never user info in it. An issuer has no query or fragment either (OpenID Connect
 * Discovery §3), and is compared as written, so it is not normalised here.
 */
export function identityUrlProblem(value: string, options: { allowLoopbackHttp: boolean; issuer?: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
  if (options.issuer === true && (url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#"))) {
    return "must not have a query or fragment";
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol !== "http:") return "must be an https URL";
  if (!isLoopbackHost(url.hostname)) return "must be https (plain http only for a loopback host)";
  return options.allowLoopbackHttp ? undefined : "is plain http to a loopback host, which this server does not allow (MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS=1)";
}
