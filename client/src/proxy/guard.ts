/**
 * The proxy's guard (pure checks): which callers it serves (loopback names, no browsers, its optional
 * key). A refused request is answered here, before it is read, routed or given a token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { errorAnswer, type ProxyAnswer } from "./answer.js";

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
export function browserRefusal(headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): ProxyAnswer | undefined {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return errorAnswer(403, "forbidden", "the proxy only serves requests whose Host names its own loopback listener");
  }
  if (headers.origin !== undefined) return errorAnswer(403, "forbidden", "the proxy does not serve browser requests (an Origin header was sent)");
  const site = headers["sec-fetch-site"];
  if (site !== undefined && !OWN_FETCH_SITES.has(site.toLowerCase())) return errorAnswer(403, "forbidden", "the proxy does not serve cross-site browser requests");
  return undefined;
}

/** A fresh per-proxy secret, `mvp_` + 32 random bytes in base64url. */
export function newProxyKey(): string {
  return `mvp_${randomBytes(32).toString("base64url")}`;
}

/** What a presented key is compared by: equal-length digests, compared in constant time. */
export const keyDigest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** With a proxy key (its digest): the caller must present it as `Authorization: Bearer <key>` or `x-api-key`. */
export function proxyKeyRefusal(headers: IncomingHttpHeaders, expected: Buffer | undefined): ProxyAnswer | undefined {
  if (expected === undefined) return undefined;
  const bearer = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? "")?.[1];
  const apiKey = headers["x-api-key"];
  const presented = [bearer, typeof apiKey === "string" ? apiKey : undefined].filter((v): v is string => v !== undefined);
  if (presented.some((value) => timingSafeEqual(keyDigest(value), expected))) return undefined;
  return errorAnswer(401, "unauthorized", "this proxy requires its key (printed at start) as Authorization: Bearer <key> or x-api-key", { "www-authenticate": "Bearer" });
}
