/**
 * The checks the client applies to untrusted values (server answers, cache files, options),
 * defined once. The server applies the same rules (test/contract.test.ts holds both to one table).
 */

/** A plain JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** A time string `Date.parse` understands (the server sends ISO-8601 UTC). */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** An AWS region name such as `us-east-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** `mvk_<keyId>_<secret>`: keyId is 16 lowercase hex chars, the secret 43 base64url chars. */
export const API_KEY_PATTERN = /^mvk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** `mvk_<keyId>_<secret>` → keyId; undefined for anything else. The key id is not secret. */
export function keyIdOf(apiKey: string): string | undefined {
  return API_KEY_PATTERN.exec(apiKey)?.[1];
}
