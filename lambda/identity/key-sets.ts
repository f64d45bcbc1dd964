import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from "jose";
import type { Clock } from "../clock.js";
import { isRecord } from "../guards.js";
import type { Log } from "../logger.js";
import { identityUrlProblem } from "../rules.js";
import { SingleFlight } from "../single-flight.js";
import { KeySetUnavailableError } from "./errors.js";
import type { IdentityPolicies } from "./directory.js";
import type { IdentityPolicy, PublicJwks } from "./policy.js";

/** Where an issuer's keys come from (rule 3): inline keys, a JWKS address, or its discovery document. */
type KeySource = { kind: "inline"; jwks: PublicJwks } | { kind: "uri"; uri: string } | { kind: "discovery" };

/**
 * The issuer's key source, from its policies in name order: the first inline `jwks`, else the first
 * `jwksUri`, else discovery. Policies of one issuer normally agree; this makes the choice when they
 * do not, the same in every container.
 */
export function keySource(policies: readonly IdentityPolicy[]): KeySource {
  const inline = policies.find((policy) => policy.record.jwks !== undefined)?.record.jwks;
  if (inline !== undefined) return { kind: "inline", jwks: inline };
  const uri = policies.find((policy) => policy.record.jwksUri !== undefined)?.record.jwksUri;
  return uri === undefined ? { kind: "discovery" } : { kind: "uri", uri };
}

interface KeySetOptions {
  log: Log;
  /** For the discovery cache and the backoff after a failure (jose keeps its own times by Date.now). */
  clock: Clock;
  allowLoopbackHttp: boolean;
  fetch?: typeof fetch;
  /** Each fetch (discovery, JWKS) gives up after this. */
  fetchTimeoutMs?: number;
  /** Keys and discovery documents are kept this long per container. */
  cacheMaxAgeMs?: number;
  /** An unknown `kid` refetches only when the keys are older than this (jose's cooldown). */
  cooldownMs?: number;
  /** After a failed fetch, requests for that issuer fail at once for this long instead of each fetching. */
  failureBackoffMs?: number;
}

interface Discovered {
  jwksUri: string;
  at: number;
}

const DISCOVERY_PATH = "/.well-known/openid-configuration";

/**
 * Every issuer's keys, per container (rule 3): inline sets imported once, remote sets fetched with
 * jose's `createRemoteJWKSet` (kept 10 minutes; an unknown `kid` refetches at most once per 30 s;
 * 3 s per fetch), discovery documents kept as long. A failing, slow or inconsistent provider is a
 * KeySetUnavailableError (503): the token may be fine. Each issuer has its own sets, so two
 * issuers whose keys share a `kid` never verify each other's tokens.
 */
export class IssuerKeySets {
  private readonly sets = new Map<string, JWTVerifyGetKey>();
  private readonly discovered = new Map<string, Discovered>();
  private readonly discoveries = new SingleFlight<Discovered>();
  private readonly failedUntil = new Map<string, number>();
  private readonly fetch: typeof fetch;
  private readonly fetchTimeoutMs: number;
  private readonly cacheMaxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly failureBackoffMs: number;

  constructor(private readonly options: KeySetOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 3_000;
    this.cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.failureBackoffMs = options.failureBackoffMs ?? 5_000;
  }

  /** What jwtVerify asks for a token's key; it throws KeySetUnavailableError when the keys cannot be had. */
  keysFor(issuer: string, source: KeySource): JWTVerifyGetKey {
    return async (header, token) => {
      const failedUntil = this.failedUntil.get(issuer);
      if (failedUntil !== undefined && this.options.clock() < failedUntil) {
        throw new KeySetUnavailableError(`the keys of ${issuer} failed moments ago; not asking again yet`);
      }
      try {
        const set = source.kind === "discovery" ? this.remote(issuer, (await this.discover(issuer)).jwksUri) : this.set(issuer, source);
        return await set(header, token);
      } catch (error) {
        // No key for the token's kid (after the one refetch the cooldown allows) is the token's problem.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        this.failedUntil.set(issuer, this.options.clock() + this.failureBackoffMs);
        if (error instanceof KeySetUnavailableError) throw error;
        throw new KeySetUnavailableError(`the keys of ${issuer} could not be fetched or used`, { cause: error });
      }
    };
  }

  /** Forgets what no loaded policy uses any more (called when the policies are reloaded). */
  retain(policies: IdentityPolicies): void {
    const live = new Set<string>();
    for (const [issuer, list] of policies) {
      const source = keySource(list);
      const jwksUri = source.kind === "uri" ? source.uri : source.kind === "discovery" ? this.discovered.get(issuer)?.jwksUri : undefined;
      live.add(source.kind === "inline" ? inlineId(issuer, source.jwks) : remoteId(issuer, jwksUri ?? ""));
      if (source.kind !== "discovery") this.discovered.delete(issuer);
    }
    for (const id of this.sets.keys()) if (!live.has(id)) this.sets.delete(id);
    for (const issuer of [...this.discovered.keys(), ...this.failedUntil.keys()]) {
      if (!policies.has(issuer)) {
        this.discovered.delete(issuer);
        this.failedUntil.delete(issuer);
      }
    }
  }

  private set(issuer: string, source: Exclude<KeySource, { kind: "discovery" }>): JWTVerifyGetKey {
    if (source.kind === "uri") return this.remote(issuer, source.uri);
    const id = inlineId(issuer, source.jwks);
    let set = this.sets.get(id);
    if (set === undefined) {
      set = createLocalJWKSet(source.jwks);
      this.sets.set(id, set);
    }
    return set;
  }

  /** One jose remote set per (issuer, address): it caches the keys and rate-limits refetches itself. */
  private remote(issuer: string, uri: string): JWTVerifyGetKey {
    const id = remoteId(issuer, uri);
    let set = this.sets.get(id);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: this.fetchTimeoutMs,
        cooldownDuration: this.cooldownMs,
        cacheMaxAge: this.cacheMaxAgeMs,
        [customFetch]: this.fetch,
      });
      this.sets.set(id, set);
    }
    return set;
  }

  /** The issuer's `jwks_uri`, from its discovery document, which must name the issuer itself. */
  private async discover(issuer: string): Promise<Discovered> {
    const known = this.discovered.get(issuer);
    if (known !== undefined && this.options.clock() - known.at < this.cacheMaxAgeMs) return known;
    return this.discoveries.run(issuer, async () => {
      const found = { jwksUri: await this.fetchDiscovery(issuer), at: this.options.clock() };
      this.discovered.set(issuer, found);
      return found;
    });
  }

  private async fetchDiscovery(issuer: string): Promise<string> {
    const url = `${issuer.replace(/\/+$/, "")}${DISCOVERY_PATH}`;
    let document: unknown;
    try {
      const response = await this.fetch(url, { redirect: "manual", signal: AbortSignal.timeout(this.fetchTimeoutMs), headers: { accept: "application/json" } });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new KeySetUnavailableError(`the discovery document of ${issuer} answered ${response.status}`);
      }
      document = await response.json();
    } catch (error) {
      if (error instanceof KeySetUnavailableError) throw error;
      throw new KeySetUnavailableError(`the discovery document of ${issuer} could not be fetched`, { cause: error });
    }
    if (!isRecord(document) || document.issuer !== issuer) {
      // A document for another issuer must never lend its keys to this one.
      this.options.log.warn("an identity provider's discovery document names another issuer; its tokens cannot be verified", { issuer });
      throw new KeySetUnavailableError(`the discovery document of ${issuer} names another issuer`);
    }
    const jwksUri = document.jwks_uri;
    const problem = typeof jwksUri !== "string" ? "is missing" : identityUrlProblem(jwksUri, { allowLoopbackHttp: this.options.allowLoopbackHttp });
    if (typeof jwksUri !== "string" || problem !== undefined) throw new KeySetUnavailableError(`the jwks_uri of ${issuer}'s discovery document ${problem ?? "is unusable"}`);
    return jwksUri;
  }
}

const inlineId = (issuer: string, jwks: PublicJwks): string => `inline\n${issuer}\n${JSON.stringify(jwks)}`;
const remoteId = (issuer: string, uri: string): string => `remote\n${issuer}\n${uri}`;
