/**
 * The rules the server applies too, defined once on this side (test/contract.test.ts feeds both
 * sides the same inputs, mixed-case and edge cases among them).
 */
import { isLoopbackHost } from "./loopback.js";

/** A model whose id contains one of these, in any letter case, reasons (docs/catalog.md). */
export const REASONING_MARKERS: readonly string[] = ["thinking", "reasoner", "reasoning", "deepseek.r", "gpt-oss-120b", "gpt-oss-safeguard-120b"];

/** The catalog's reasoning rule, used only when a catalog entry carries no `reasoning` field. */
export function inferReasoning(modelId: string): boolean {
  const lower = modelId.toLowerCase();
  return REASONING_MARKERS.some((marker) => lower.includes(marker));
}

/** An AWS region name such as `us-east-1`. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isRegionName(value: string): boolean {
  return REGION_PATTERN.test(value);
}

/** `mvk_<keyId>_<secret>`: keyId is 16 lowercase hex chars, the secret 43 base64url chars. */
const KEY_ID = "[0-9a-f]{16}";
const SECRET_CHAR = "[A-Za-z0-9_-]";
const API_KEY_PATTERN = new RegExp(`^mvk_(${KEY_ID})_${SECRET_CHAR}{43}$`);

/** Whatever looks like an API key inside a text, its key id captured: any secret length, so a cut or padded key is found too. */
export const API_KEYS_IN_TEXT = new RegExp(`mvk_(${KEY_ID})_${SECRET_CHAR}+`, "g");

/** `mvk_<keyId>_<secret>` → keyId; undefined for anything else. The key id is not secret. */
export function keyIdOf(apiKey: string): string | undefined {
  return API_KEY_PATTERN.exec(apiKey)?.[1];
}

/** Longest model id a pattern may name (the server's limit too). */
const MAX_MODEL_ID_LENGTH = 200;
/** Printable ASCII but `*`, which only ends a prefix pattern. */
const MODEL_ID_CHARS = /^[\x21-\x29\x2b-\x7e]+$/;

/** A grant's model pattern: a model id, or an id prefix ending in one `*` (`*` alone: every model). */
export function isModelPattern(value: string): boolean {
  const body = value.endsWith("*") ? value.slice(0, -1) : value;
  if (body === "") return value === "*";
  return body.length <= MAX_MODEL_ID_LENGTH && MODEL_ID_CHARS.test(body);
}

/**
 * Whether a grant's patterns admit a model id: the exact id, or an id starting with a pattern's prefix
 * before its `*`; case matters, as in IAM's StringLike. No patterns (undefined): every model.
 */
export function modelAdmitted(patterns: readonly string[] | undefined, id: string): boolean {
  return patterns === undefined || patterns.some((pattern) => (pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : pattern === id));
}

/**
 * Why `value` may not be used as an identity provider's URL (an issuer, a discovery, device, token or
 * revocation endpoint), or undefined when it may: https, or plain http to a loopback host; never user
 * info. An issuer has no query or fragment either, and is compared as written. The server applies the
 * same rule (lambda/rules.ts), with loopback http only where it is allowed.
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
