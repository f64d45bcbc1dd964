import { jwtExpiresAt } from "./jwt.js";
import { SingleFlight } from "./single-flight.js";

/**
 * What the client presents to the service as `Authorization: Bearer`: an API key, or the current ID
 * token (JWT) of an identity. The transport asks for it per request and says when the service refused it.
 */
export interface Credential {
  /** The bearer value to send now. */
  value(): Promise<string>;
  /**
   * The service refused `value` (401): forget it. True when asking again may give another value
   * (an identity's source can be asked for a fresh token; a key stays the key).
   */
  refused(value: string): boolean;
  /** What no message may show. */
  secrets(): string[];
}

export function apiKeyCredential(apiKey: string): Credential {
  return { value: async () => apiKey, refused: () => false, secrets: () => [apiKey] };
}

/** An identity's token is asked for again when it has less than this left. */
export const IDENTITY_MIN_LIFE_MS = 60_000;
/** A token that does not say when it expires is held this long at most. */
const UNDATED_TOKEN_MS = 5 * 60_000;

/**
 * An identity's ID token, held in memory only (never written anywhere by the client): asked of its
 * source when there is none, when the one held has under 60 s left, or after the service refused it.
 * Concurrent callers share one request to the source.
 */
export function identityCredential(source: () => Promise<string>, now: () => number): Credential {
  let held: { token: string; until: number } | undefined;
  const fetches = new SingleFlight<"token", string>();
  return {
    async value() {
      if (held !== undefined && now() < held.until) return held.token;
      return fetches.run("token", async () => {
        const token = (await source()).trim();
        const expiresAt = jwtExpiresAt(token);
        held = { token, until: expiresAt === undefined ? now() + UNDATED_TOKEN_MS : expiresAt - IDENTITY_MIN_LIFE_MS };
        return token;
      });
    },
    refused(value) {
      if (held?.token === value) held = undefined;
      return true;
    },
    secrets: () => (held === undefined ? [] : [held.token]),
  };
}
