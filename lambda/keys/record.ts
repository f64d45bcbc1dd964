import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { REGION_PATTERN } from "../regions.js";
import type { RateLimit } from "./ratelimit.js";

/** What an admin stores for an API key; the secret itself is never stored. */
export interface KeyRecord {
  name: string;
  sha256: string;
  regions: string[];
  maxTtlSeconds: number;
  createdAt: string;
  expiresAt?: string;
  disabled?: boolean;
  rateLimit?: RateLimit;
  /** After a rotation, the old secret's hash keeps working until previousExpiresAt. */
  previousSha256?: string;
  previousExpiresAt?: string;
  rotatedAt?: string;
}

/** A key that passed authentication, as the rest of the request sees it. */
export interface Caller {
  keyId: string;
  record: KeyRecord;
}

/** `mvk_<keyId>_<secret>`: keyId is 16 lowercase hex chars, the secret 32 random bytes in base64url. */
const KEY_PATTERN = /^mvk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

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

/** The keyId of a well-formed key, or undefined. */
export function keyIdOf(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/** The API key from an `Authorization: Bearer …` header, or undefined when absent or malformed. */
export function bearerKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return match?.[1];
}

const ABSENT_HASH = Buffer.alloc(32);

/** Constant-time comparison of a presented key's digest with a stored hex hash. */
export function digestMatches(presented: Buffer, storedSha256: string | undefined): boolean {
  const stored = storedSha256 !== undefined && /^[0-9a-f]{64}$/.test(storedSha256) ? Buffer.from(storedSha256, "hex") : undefined;
  // Compare even when nothing is stored so that unknown and wrong keys cost the same.
  const equal = timingSafeEqual(presented, stored ?? ABSENT_HASH);
  return stored !== undefined && equal;
}

/** The current secret, or the previous one while its grace period after a rotation lasts. */
export function recordAccepts(record: KeyRecord, presented: Buffer, nowMs: number): boolean {
  const current = digestMatches(presented, record.sha256);
  // Always compared, so a rotated key costs the same as any other.
  const previous = digestMatches(presented, record.previousSha256);
  const inGrace = record.previousExpiresAt !== undefined && Date.parse(record.previousExpiresAt) > nowMs;
  return current || (previous && inGrace);
}

export function isUsable(record: KeyRecord, nowMs: number): boolean {
  if (record.disabled === true) return false;
  return record.expiresAt === undefined || Date.parse(record.expiresAt) > nowMs;
}

/** Validates a stored record; a record that does not parse is treated as absent (fail closed). */
export function parseKeyRecord(text: string): KeyRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const valid =
    typeof r.name === "string" &&
    typeof r.sha256 === "string" &&
    /^[0-9a-f]{64}$/.test(r.sha256) &&
    Array.isArray(r.regions) &&
    r.regions.every((region) => region === "*" || (typeof region === "string" && REGION_PATTERN.test(region))) &&
    typeof r.maxTtlSeconds === "number" &&
    Number.isInteger(r.maxTtlSeconds) &&
    r.maxTtlSeconds > 0 &&
    typeof r.createdAt === "string" &&
    (r.expiresAt === undefined || (typeof r.expiresAt === "string" && !Number.isNaN(Date.parse(r.expiresAt)))) &&
    (r.disabled === undefined || typeof r.disabled === "boolean") &&
    (r.rateLimit === undefined || isRateLimit(r.rateLimit)) &&
    (r.previousSha256 === undefined || (typeof r.previousSha256 === "string" && /^[0-9a-f]{64}$/.test(r.previousSha256))) &&
    (r.previousExpiresAt === undefined || (typeof r.previousExpiresAt === "string" && !Number.isNaN(Date.parse(r.previousExpiresAt)))) &&
    (r.rotatedAt === undefined || typeof r.rotatedAt === "string");
  if (!valid) return undefined;
  const record: KeyRecord = {
    name: r.name as string,
    sha256: r.sha256 as string,
    regions: r.regions as string[],
    maxTtlSeconds: r.maxTtlSeconds as number,
    createdAt: r.createdAt as string,
  };
  if (r.expiresAt !== undefined) record.expiresAt = r.expiresAt as string;
  if (r.disabled !== undefined) record.disabled = r.disabled as boolean;
  if (r.rateLimit !== undefined) record.rateLimit = r.rateLimit as RateLimit;
  if (r.previousSha256 !== undefined) record.previousSha256 = r.previousSha256 as string;
  if (r.previousExpiresAt !== undefined) record.previousExpiresAt = r.previousExpiresAt as string;
  if (r.rotatedAt !== undefined) record.rotatedAt = r.rotatedAt as string;
  return record;
}

function isRateLimit(value: unknown): value is RateLimit {
  if (typeof value !== "object" || value === null) return false;
  const { perSecond, burst } = value as Record<string, unknown>;
  return typeof perSecond === "number" && perSecond > 0 && typeof burst === "number" && Number.isInteger(burst) && burst >= 1;
}

export const keysPath = (prefix: string): string => `${prefix}/keys`;
export const keyParameter = (prefix: string, keyId: string): string => `${prefix}/keys/${keyId}`;
export const keysVersionParameter = (prefix: string): string => `${prefix}/keys-version`;
/** A fresh value for keys-version: every admin write of keys or catalog overrides sets one. */
export const newKeysVersion = (): string => randomBytes(12).toString("base64url");
