import { MantleVendError } from "./errors.js";
import type { FetchLike } from "./types.js";

/** How identity sources and the login reach their endpoints (a metadata server, a token service, an OpenID Provider). */
export interface IdentityHttp {
  fetch: FetchLike;
  /** Each request gives up after this. */
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One request to an identity endpoint, its whole body read, within the timeout. Redirects are not
 * followed (a metadata or token answer never needs one). A network failure or timeout is a
 * MantleVendError naming `what`, with code `identity_unavailable`.
 */
export async function identityRequest(url: string, init: RequestInit, what: string, http: IdentityHttp): Promise<HttpAnswer> {
  try {
    const response = await http.fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(http.timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw identityUnavailable(`${what} ${timedOut ? `did not answer within ${http.timeoutMs} ms` : `cannot be reached (${describe(error)})`}`);
  }
}

/** An identity source that failed: what it was and why, never a token. */
export function identityUnavailable(message: string): MantleVendError {
  return new MantleVendError({ status: 0, code: "identity_unavailable", message });
}

/** A body as JSON, or undefined. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  if (cause instanceof Error && "code" in cause && typeof cause.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
