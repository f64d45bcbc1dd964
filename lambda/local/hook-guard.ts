/**
 * Who may use the emulator's test hooks (`/_emulator/*`): a local program, never a web page. A page
 * can make a browser send a request to any loopback port — a cross-site `text/plain` POST needs no
 * preflight — and a DNS-rebinding page can read the answer; so the hooks take the rule the client's
 * proxy applies to its own listener: a Host that names this listener, no browser (an Origin, a
 * cross-site Sec-Fetch-Site), and for a write, a JSON body.
 */
import type { IncomingHttpHeaders } from "node:http";

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** `host` as a Host header carries it: lowercased, an IPv6 literal in brackets. */
function hostName(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare.includes(":") ? `[${bare}]` : bare;
}

/**
 * The Host values that name a listener on `bindHost:port`: the loopback names and the address it is
 * bound to, each with the port. Any other name is one an attacker's DNS points at loopback.
 */
export function ownHosts(bindHost: string, port: number): ReadonlySet<string> {
  const names = ["127.0.0.1", "localhost", "[::1]", ...(WILDCARDS.has(bindHost) ? [] : [hostName(bindHost)])];
  return new Set(names.map((name) => `${name}:${port}`));
}

/** Sec-Fetch-Site values a browser sends for requests no other site started. */
const OWN_FETCH_SITES = new Set(["none", "same-origin"]);

/** Why a hook request is refused (status and message), or undefined when it may go on. */
export function hookRefusal(method: string, headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): { status: number; message: string } | undefined {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) return { status: 403, message: "The emulator's hooks serve only requests whose Host names its own loopback listener." };
  if (headers.origin !== undefined) return { status: 403, message: "The emulator's hooks do not serve browser requests (an Origin header was sent)." };
  const site = headers["sec-fetch-site"];
  if (site !== undefined && !OWN_FETCH_SITES.has(site.toLowerCase())) return { status: 403, message: "The emulator's hooks do not serve cross-site browser requests." };
  const type = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (method === "POST" && type !== "application/json") return { status: 415, message: "The emulator's hooks take a JSON body (content-type: application/json)." };
  return undefined;
}
