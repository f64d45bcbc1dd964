import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { parseGrant, type Grant } from "../grants/index.js";
import { isSha256Hex, isTimestamp, parseJsonObject } from "../guards.js";

/** What an admin stores for an API key: its grant and its own fields; the secret itself is never stored. */
export interface KeyRecord extends Grant {
  name: string;
  sha256: string;
  createdAt: string;
  expiresAt?: string;
  disabled?: boolean;
  /** After a rotation, the old secret's hash keeps working until previousExpiresAt. */
  previousSha256?: string;
  previousExpiresAt?: string;
  rotatedAt?: string;
}

export interface NewKey {
  key: string;
  keyId: string;
  sha256: string;
}

/** A new key; given a keyId, a new secret for that key (a rotation). */
export function generateKey(keyId: string = randomBytes(8).toString("hex")): NewKey {
  const key = `mvk_${keyId}_${randomBytes(32).toString("base64url")}`;
  return { key, keyId, sha256: hashKey(key) };
}

/** SHA-256 of the full key: what is stored (as hex) and what a presented key is compared by. */
export function digestKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

export function hashKey(key: string): string {
  return digestKey(key).toString("hex");
}

/** Compared in place of a hash that is absent, so every comparison does the same work. */
const DUMMY_SHA256 = randomBytes(32).toString("hex");

/** Constant-time comparison of a presented key's digest with a stored hex hash. */
export function digestMatches(presented: Buffer, storedSha256: string | undefined): boolean {
  const valid = isSha256Hex(storedSha256);
  // Compare even when nothing is stored so that unknown and wrong keys cost the same.
  const equal = timingSafeEqual(presented, Buffer.from(valid ? storedSha256 : DUMMY_SHA256, "hex"));
  return valid && equal;
}

/**
 * The current secret, or the previous one while its grace period after a rotation lasts.
 * An unknown key id (no record) goes through the same two comparisons and the same date
 * parse as a known one, so the time a refusal takes does not tell which ids exist.
 */
export function recordAccepts(record: KeyRecord | undefined, presented: Buffer, nowMs: number): boolean {
  const current = digestMatches(presented, record?.sha256);
  const previous = digestMatches(presented, record?.previousSha256);
  const inGrace = Date.parse(record?.previousExpiresAt ?? "") > nowMs;
  return record !== undefined && (current || (previous && inGrace));
}

export function isUsable(record: KeyRecord, nowMs: number): boolean {
  if (record.disabled === true) return false;
  return record.expiresAt === undefined || Date.parse(record.expiresAt) > nowMs;
}

/**
 * Validates a stored record field by field; a record that does not parse is treated as
 * absent (fail closed). Unknown fields are dropped, so nothing unchecked reaches a caller.
 */
export function parseKeyRecord(text: string): KeyRecord | undefined {
  const value = parseJsonObject(text);
  if (value === undefined) return undefined;
  const { name, sha256, createdAt } = value;
  const grant = parseGrant(value);
  if (typeof name !== "string" || !isSha256Hex(sha256) || typeof createdAt !== "string" || grant === undefined) return undefined;
  const record: KeyRecord = { name, sha256, ...grant, createdAt };

  const { expiresAt, disabled, previousSha256, previousExpiresAt, rotatedAt } = value;
  const optionalValid =
    absentOr(expiresAt, isTimestamp) &&
    absentOr(disabled, isBoolean) &&
    absentOr(previousSha256, isSha256Hex) &&
    absentOr(previousExpiresAt, isTimestamp) &&
    absentOr(rotatedAt, isString);
  if (!optionalValid) return undefined;
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  if (disabled !== undefined) record.disabled = disabled;
  if (previousSha256 !== undefined) record.previousSha256 = previousSha256;
  if (previousExpiresAt !== undefined) record.previousExpiresAt = previousExpiresAt;
  if (rotatedAt !== undefined) record.rotatedAt = rotatedAt;
  return record;
}

/** An optional field: absent, or present and valid. */
function absentOr<T>(value: unknown, valid: (candidate: unknown) => candidate is T): value is T | undefined {
  return value === undefined || valid(value);
}

const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isString = (value: unknown): value is string => typeof value === "string";
