/**
 * The checks every feature applies to untrusted values (stored records, upstream answers,
 * request bodies, command lines), defined once so that all of them agree.
 */
import { REGION_PATTERN } from "./regions.js";

/** A plain JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Lowercase hex SHA-256, as key hashes and catalog digests are stored. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

/** A time string `Date.parse` understands (the service writes ISO-8601 UTC). */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** An AWS region name such as `us-east-1`; whether it is served is the allowlist's business. */
export function isRegionName(value: unknown): value is string {
  return typeof value === "string" && REGION_PATTERN.test(value);
}

/** `mvk_<keyId>_<secret>`: keyId is 16 lowercase hex chars, the secret 32 random bytes in base64url. */
export const API_KEY_PATTERN = /^mvk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

export function isKeyId(value: unknown): value is string {
  return typeof value === "string" && KEY_ID_PATTERN.test(value);
}

/** The keyId of a well-formed API key, or undefined. */
export function keyIdOf(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
}
