import { parseGrant, type Grant } from "../grants/index.js";
import { isRecord, isTimestamp, parseJsonObject } from "../guards.js";
import { DEFAULT_SUBJECT_TEMPLATE, isClaimName, isClaimPattern, parseSubjectTemplate, type TemplatePart } from "./claims.js";

/** `[a-z0-9][a-z0-9-]{0,31}`: it is part of parameter names, principal ids and STS session names. */
const POLICY_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function isPolicyName(value: unknown): value is string {
  return typeof value === "string" && POLICY_NAME_PATTERN.test(value);
}

/** A token may live at most this long (exp − iat) unless its policy says otherwise. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** A JSON Web Key Set (RFC 7517 §5) of public keys, as a policy may carry it inline. */
export interface PublicJwks {
  keys: Array<Record<string, unknown>>;
}

/**
 * An identity policy as stored at `<prefix>/identities/<name>` (SPEC §13): which issuer's tokens
 * it admits, for which audiences and claims, as what subject, with which grant. The grant's
 * fields are stored flat beside the policy's own, as in a key record.
 */
export interface IdentityPolicyRecord {
  issuer: string;
  audiences: string[];
  claims?: Record<string, string>;
  subject?: string;
  jwksUri?: string;
  jwks?: PublicJwks;
  maxTokenLifetimeSeconds?: number;
  createdAt: string;
  expiresAt?: string;
  disabled?: boolean;
}

/** A stored policy, checked, with its name, its grant and its subject template in pieces. */
export interface IdentityPolicy {
  name: string;
  record: IdentityPolicyRecord;
  grant: Grant;
  subject: TemplatePart[];
}

/** Members of a private or symmetric key: a policy carries the issuer's public keys only. */
const SECRET_KEY_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** The members each public key type needs (RFC 7518 §6, RFC 8037 §2). */
const PUBLIC_KEY_MEMBERS: Record<string, string[]> = { RSA: ["n", "e"], EC: ["crv", "x", "y"], OKP: ["crv", "x"] };

/** A JWK Set checked as a policy's inline keys, or why it cannot be one. */
export function checkJwks(value: unknown): { jwks: PublicJwks } | { problem: string } {
  if (!isRecord(value) || !Array.isArray(value.keys) || value.keys.length === 0) return { problem: 'must be a JWK Set with at least one key ({"keys":[…]})' };
  const keys: Array<Record<string, unknown>> = [];
  for (const key of value.keys) {
    if (!isRecord(key) || typeof key.kty !== "string") return { problem: "has a key without a kty" };
    const needs = Object.hasOwn(PUBLIC_KEY_MEMBERS, key.kty) ? PUBLIC_KEY_MEMBERS[key.kty] : undefined;
    if (needs === undefined) return { problem: `has a key of type ${key.kty}; only public RSA, EC and OKP keys are accepted` };
    if (SECRET_KEY_MEMBERS.some((member) => Object.hasOwn(key, member))) return { problem: "holds private key material: give the issuer's public keys only" };
    if (!needs.every((member) => typeof key[member] === "string")) return { problem: `has a ${key.kty} key without ${needs.join(", ")}` };
    keys.push(key);
  }
  return { jwks: { keys } };
}

/**
 * A stored policy checked field by field; undefined when any field is invalid, so a policy that
 * does not parse admits nothing (fail closed). Unknown fields are dropped. Whether its URLs may
 * be called is the server's configuration, checked where the policies are loaded.
 */
export function parseIdentityPolicy(name: string, text: string): IdentityPolicy | undefined {
  const value = parseJsonObject(text);
  if (!isPolicyName(name) || value === undefined) return undefined;
  const grant = parseGrant(value);
  const { issuer, audiences, claims, subject, jwksUri, jwks, maxTokenLifetimeSeconds, createdAt, expiresAt, disabled } = value;
  if (grant === undefined || typeof issuer !== "string" || issuer === "" || typeof createdAt !== "string") return undefined;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === "string" && a !== "")) return undefined;
  const template = parseSubjectTemplate(subject === undefined ? DEFAULT_SUBJECT_TEMPLATE : typeof subject === "string" ? subject : "");
  if (template === undefined) return undefined;
  const record: IdentityPolicyRecord = { issuer, audiences: [...audiences], createdAt };
  if (claims !== undefined) {
    if (!isRecord(claims)) return undefined;
    const valid = Object.entries(claims).flatMap(([claim, pattern]) => (typeof pattern === "string" && isClaimName(claim) && isClaimPattern(pattern) ? [[claim, pattern] as const] : []));
    if (valid.length !== Object.keys(claims).length) return undefined;
    // fromEntries defines properties, so even a claim named __proto__ stays a claim to match.
    record.claims = Object.fromEntries(valid);
  }
  if (typeof subject === "string") record.subject = subject;
  if (jwksUri !== undefined) {
    if (typeof jwksUri !== "string" || jwksUri === "") return undefined;
    record.jwksUri = jwksUri;
  }
  if (jwks !== undefined) {
    const checked = checkJwks(jwks);
    if ("problem" in checked) return undefined;
    record.jwks = checked.jwks;
  }
  if (maxTokenLifetimeSeconds !== undefined) {
    if (typeof maxTokenLifetimeSeconds !== "number" || !Number.isSafeInteger(maxTokenLifetimeSeconds) || maxTokenLifetimeSeconds <= 0) return undefined;
    record.maxTokenLifetimeSeconds = maxTokenLifetimeSeconds;
  }
  if (expiresAt !== undefined) {
    if (!isTimestamp(expiresAt)) return undefined;
    record.expiresAt = expiresAt;
  }
  if (disabled !== undefined) {
    if (typeof disabled !== "boolean") return undefined;
    record.disabled = disabled;
  }
  return { name, record, grant, subject: template };
}

/** Enabled and not expired: only such a policy makes its issuer trusted (rule 2). */
export function isUsablePolicy(policy: IdentityPolicy, nowMs: number): boolean {
  const { disabled, expiresAt } = policy.record;
  if (disabled === true) return false;
  return expiresAt === undefined || Date.parse(expiresAt) > nowMs;
}

/** The longest lifetime (exp − iat) a token may have under this policy. */
export function maxTokenLifetimeSeconds(policy: IdentityPolicy): number {
  return policy.record.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
}

/** The record as stored: its own fields and its grant's, flat. */
export function storedPolicy(record: IdentityPolicyRecord, grant: Grant): string {
  return JSON.stringify({ ...record, ...grant });
}
