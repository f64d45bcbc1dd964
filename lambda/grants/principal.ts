import type { Grant } from "./grant.js";

/** The STS session a principal's tokens are signed with in attribution mode (CloudTrail names it). */
interface SigningSession {
  sessionName: string;
  sourceIdentity: string;
  /**
   * The principal as its session tag `mantle-vend-principal` names it: `key:<keyId>`, or
   * `identity:<policy>:<12 hex of sha256(subject)>`, since a subject may be long, personal or outside
   * the tag alphabet.
   */
  attributedAs: string;
}

/**
 * Who made a request (SPEC §12): an API key or, later, an identity. Everything after authentication
 * — limits, logs, attribution — keys on `id` and reads `grant`; nothing re-derives a grant.
 */
export interface Principal {
  /** `key:<keyId>` (or `identity:<policy>:<subject>`). */
  readonly id: string;
  readonly kind: "key" | "identity";
  /** The key's or the policy's name. */
  readonly name: string;
  readonly grant: Grant;
  readonly session: SigningSession;
  /** What the request log line records of it: never a secret. */
  readonly logFields: Readonly<Record<string, string>>;
}

/**
 * Resolves the bearer credential of a request (undefined when none was sent) to its principal;
 * throws an UnauthenticatedError (401) for anything it does not accept.
 */
export type Authenticate = (credential: string | undefined) => Promise<Principal>;

/** STS session names and source identities allow only these characters, at most 64 of them. */
export function stsName(text: string): string {
  return text.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}
