import { isRecord } from "./guards.js";

/**
 * The claims of a JWT, read without verifying its signature: the client only needs to know when a
 * token it was handed expires, and whom it names. The service verifies it. undefined for anything that
 * is not a compact JWS with a JSON object payload.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? "")) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** When a JWT expires (ms since the epoch), or undefined when it does not say. */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = jwtClaims(token)?.["exp"];
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** Three base64url segments: what a JWT looks like in a text (for scrubbing messages). */
export const JWTS_IN_TEXT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
