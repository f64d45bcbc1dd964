/**
 * The checks every feature applies to untrusted values (stored records, upstream answers,
 * request bodies, command lines), defined once so that all of them agree.
 */

/** A plain JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON object `text` holds, or undefined when it is not JSON or not an object (stored records, files). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Lowercase hex SHA-256, as key hashes and catalog digests are stored. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

/** A time string `Date.parse` understands (the service writes ISO-8601 UTC). */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}
