/** Where a token's requests go, and the request that goes there. */
import { request as httpRequest, type Agent as HttpAgent, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";
import { mantleRoot } from "../mantle-root.js";
import type { TokenResponse } from "../types.js";
import { requestHeaders } from "./headers.js";

/** Where a token's requests go: its Mantle root, parsed once per token. */
export interface Upstream {
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number | undefined;
  /** `host[:port]`, the Host header Mantle gets. */
  readonly host: string;
  /** The root's own path (the emulator serves each region below one), without a trailing slash. */
  readonly pathPrefix: string;
}

const upstreams = new WeakMap<TokenResponse, Upstream>();

/** The token's Mantle root (its `baseUrl` minus `/v1`), parsed once per token the client hands out. */
export function upstreamOf(token: TokenResponse): Upstream {
  let upstream = upstreams.get(token);
  if (upstream === undefined) {
    const root = new URL(mantleRoot(token.baseUrl));
    const port = root.port === "" ? undefined : Number(root.port);
    upstream = { secure: root.protocol === "https:", hostname: root.hostname.replace(/^\[|\]$/g, ""), port, host: root.host, pathPrefix: root.pathname.replace(/\/+$/, "") };
    upstreams.set(token, upstream);
  }
  return upstream;
}

export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** The caller's request as it goes to Mantle: on `path` below the root, its credentials replaced by the token. */
export function upstreamRequest(req: IncomingMessage, path: string, token: TokenResponse, agents: Agents): ClientRequest {
  const upstream = upstreamOf(token);
  const headers = requestHeaders(req);
  // With a raw header list node adds no Host of its own.
  headers.push("host", upstream.host, "authorization", `Bearer ${token.token}`);
  return (upstream.secure ? httpsRequest : httpRequest)({
    hostname: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: `${upstream.pathPrefix}${path}`,
    headers,
    agent: upstream.secure ? agents.https : agents.http,
  });
}
