/**
 * The proxy's own defences, kept apart from forwarding: which requests it serves at all (its own Host
 * names, no browser requests, its optional key) and which Mantle roots it sends a token to.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { isLoopbackHost } from "./loopback.js";

export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** `host` as it appears in a Host header: lowercased, an IPv6 literal in brackets. */
function hostName(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare.includes(":") ? `[${bare}]` : bare;
}

/**
 * The Host header values that name this listener: the loopback names and the host it listens on (every
 * local address for a wildcard bind), each with its port. Anything else is a name an attacker's DNS
 * points at loopback (DNS rebinding), so it is refused.
 */
export function listenerHosts(address: AddressInfo, listenHost: string | undefined): Set<string> {
  const names = new Set(["127.0.0.1", "localhost", "[::1]"]);
  const host = listenHost ?? address.address;
  if (WILDCARDS.has(host)) {
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(hostName(entry.address));
    }
  } else names.add(hostName(host));
  const out = new Set<string>();
  for (const name of names) {
    out.add(`${name}:${address.port}`);
    if (address.port === 80) out.add(name);
  }
  return out;
}

/** Sec-Fetch-Site values a browser sends for requests no other site started. */
const OWN_FETCH_SITES = new Set(["none", "same-origin"]);

/**
 * Refuses what a web page could make a browser send: a Host that is not this listener, any `Origin`
 * (no page of ours calls the proxy) and a `Sec-Fetch-Site` naming another site.
 */
export function requestRefusal(headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): Refusal | undefined {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return { status: 403, code: "forbidden", message: "the proxy only serves requests whose Host names its own loopback listener" };
  }
  if (headers.origin !== undefined) {
    return { status: 403, code: "forbidden", message: "the proxy does not serve browser requests (an Origin header was sent)" };
  }
  const site = headers["sec-fetch-site"];
  if (site !== undefined && !OWN_FETCH_SITES.has(site.toLowerCase())) {
    return { status: 403, code: "forbidden", message: "the proxy does not serve cross-site browser requests" };
  }
  return undefined;
}

/** A fresh per-proxy secret, `mvp_` + 32 random bytes in base64url. */
export function newProxyKey(): string {
  return `mvp_${randomBytes(32).toString("base64url")}`;
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** With a proxy key: the caller must present it as `Authorization: Bearer <key>` or `x-api-key`. */
export function proxyKeyRefusal(headers: IncomingHttpHeaders, key: string | undefined): Refusal | undefined {
  if (key === undefined) return undefined;
  const expected = digest(key);
  const bearer = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? "")?.[1];
  const apiKey = headers["x-api-key"];
  const presented = [bearer, typeof apiKey === "string" ? apiKey : undefined].filter((v): v is string => v !== undefined);
  if (presented.some((value) => timingSafeEqual(digest(value), expected))) return undefined;
  return {
    status: 401,
    code: "unauthorized",
    message: "this proxy requires its key (printed at start) as Authorization: Bearer <key> or x-api-key",
    headers: { "www-authenticate": "Bearer" },
  };
}

/** `scheme://host/path` without a trailing slash; undefined for what is not a URL. */
function canonicalBaseUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return undefined;
  }
}

/**
 * Why a token with this `baseUrl` must not be sent, or undefined when it may: the baseUrl must be one
 * the service's allowlist names (its `/v1/regions` answer), over https unless it is loopback (the local
 * emulator of offline mode).
 */
export function mantleRootRefusal(baseUrl: string, allowedBaseUrls: readonly string[]): string | undefined {
  const canonical = canonicalBaseUrl(baseUrl);
  if (canonical === undefined) return "the service returned a token whose baseUrl is not a URL";
  const url = new URL(canonical);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    return `refusing to send a token to ${canonical}: Mantle roots must be https (plain http only on loopback)`;
  }
  if (!allowedBaseUrls.some((allowed) => canonicalBaseUrl(allowed) === canonical)) {
    return `refusing to send a token to ${canonical}: it is not among the Mantle roots the service's allowlist names`;
  }
  return undefined;
}

/** A region list is asked for again on a miss, at most this often. */
const REGIONS_REFRESH_MS = 60_000;

/** The baseUrls of the service's `/v1/regions` answer, fetched when first needed and again on a miss. */
export class AllowedMantleRoots {
  private baseUrls: string[] | undefined;
  private fetchedAt = 0;
  private pending: Promise<string[]> | undefined;

  constructor(
    private readonly regions: () => Promise<{ regions: ReadonlyArray<{ baseUrl: string }> }>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why a token for `baseUrl` must not be sent, or undefined. Throws when the region list cannot be had. */
  async refusal(baseUrl: string): Promise<string | undefined> {
    const known = this.baseUrls ?? (await this.load());
    const refusal = mantleRootRefusal(baseUrl, known);
    if (refusal === undefined || this.now() - this.fetchedAt < REGIONS_REFRESH_MS) return refusal;
    // The key's regions may have changed since: ask once more before refusing.
    return mantleRootRefusal(baseUrl, await this.load());
  }

  private load(): Promise<string[]> {
    this.pending ??= this.regions()
      .then((answer) => {
        this.baseUrls = answer.regions.map((r) => r.baseUrl);
        this.fetchedAt = this.now();
        return this.baseUrls;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
