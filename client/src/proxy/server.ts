import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import type { MantleVendClient } from "./client.js";
import type { TokenResponse } from "./types.js";
import { MantleVendError, redact } from "./errors.js";
import { AllowedMantleRoots, listenerHosts, newProxyKey, proxyKeyRefusal, requestRefusal, type Refusal } from "./proxy-guard.js";
import { routeForProxy, type ProxyRoute } from "./proxy-routing.js";

type ForwardRoute = Extract<ProxyRoute, { kind: "forward" }>;

/** How one attempt at Mantle ended; see send(). */
type Sent = { kind: "sent" } | { kind: "unreachable" } | { kind: "unauthorized"; answer: IncomingMessage; dropped: Promise<unknown> };

/** A proxied request only goes out with a token that has at least this much life left. */
export const PROXY_MIN_TOKEN_SECONDS = 60;

export interface ProxyOptions {
  client: MantleVendClient;
  /** Region whose Mantle root requests go to; default the client's region, else the server's default. */
  region?: string;
  /** Default 8788; 0 picks a free port. */
  port?: number;
  /**
   * Default 127.0.0.1. Requests are served only when their Host names this listener (or a loopback name).
   * Without `requireKey` anyone who can reach the listener can use Mantle.
   */
  host?: string;
  /** Demand a fresh random secret ({@link RunningProxy.key}) as `Authorization: Bearer` or `x-api-key`. */
  requireKey?: boolean;
  /** Called with one line on failures (never with a token). */
  log?: (line: string) => void;
}

export interface RunningProxy {
  server: Server;
  /** e.g. `http://127.0.0.1:8788` */
  url: string;
  /** The secret callers must present, when started with `requireKey`. */
  key: string | undefined;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the credentials the proxy replaces. */
const DROP_REQUEST = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "x-api-key",
]);
const DROP_RESPONSE = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer"]);

/**
 * A local HTTP proxy in front of Mantle: every request goes to the Mantle root of the token's region
 * (its `baseUrl` minus `/v1`), on the prefix the team catalog gives its model (proxy-routing.ts), with
 * the incoming `authorization`/`x-api-key` replaced by
 * `Authorization: Bearer <token>`. Status, headers and body bytes pass through as they arrive (no
 * buffering, no decompression), so SSE streams and gzip bodies reach the caller unchanged.
 */
export function createProxy(options: Omit<ProxyOptions, "port" | "requireKey"> & { key?: string }): Server {
  const { client } = options;
  const log = options.log ?? (() => undefined);
  const roots = new AllowedMantleRoots(() => client.regions());
  let hosts: Set<string> | undefined;
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const server = createServer((req, res) => {
    void forward(req, res).catch((error: unknown) => {
      log(`proxy: ${describe(error)}`);
      fail(res, 502, "upstream_error", "the proxy could not complete the request");
    });
  });
  server.on("close", () => {
    agents.http.destroy();
    agents.https.destroy();
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    if (!path.startsWith("/")) {
      refuse(req, res, { status: 400, code: "bad_request", message: "the proxy only accepts origin-form request targets (a path)" });
      return;
    }
    hosts ??= listenerHosts(server.address() as AddressInfo, options.host);
    const refusal = requestRefusal(req.headers, hosts);
    if (refusal !== undefined) {
      refuse(req, res, refusal);
      return;
    }
    // A preflight would carry the token to Mantle and bring its CORS grants back: answer it here, granting nothing.
    if (req.method === "OPTIONS") {
      req.resume();
      res.writeHead(204, { "content-length": 0 });
      res.end();
      return;
    }
    const keyRefusal = proxyKeyRefusal(req.headers, options.key);
    if (keyRefusal !== undefined) {
      refuse(req, res, keyRefusal);
      return;
    }
    // Only a request the guard let through is routed: the catalog, and the body read for its model,
    // are the caller's business only once it is known to be a local, non-browser caller with the key.
    // Routed by the team catalog: another prefix for the model, or the proxy's own answer.
    const region = options.region === undefined ? {} : { region: options.region };
    const routed = await routeForProxy(req, () => client.listModels(region), log);
    if (routed.kind === "answer") {
      res.writeHead(routed.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(routed.body) });
      res.end(routed.body);
      req.resume();
      return;
    }
    // Every attempt asks under the same cache key, so a retry's fresh token serves the next request too.
    const token = (): Promise<TokenResponse | undefined> => tokenOrFail(res, req, () => client.getToken({ ...region, minValiditySeconds: PROXY_MIN_TOKEN_SECONDS }));
    const first = await token();
    if (first === undefined) return;
    const held = heldBody(req, routed);
    const sent = await send(req, res, routed, held, first, true);
    if (sent.kind === "sent") return;
    if (sent.kind === "unauthorized") {
      // Mantle refused a token before its expiry (the signing credentials expired first,
      // docs/operations.md). The request was held whole: it goes again, once, if the service hands out
      // a different token (two tokens minted in one second are the same string), so the caller never
      // sees the 401.
      const body = await readSmall(sent.answer);
      await sent.dropped;
      const fresh = await token();
      if (fresh === undefined) return;
      if (fresh.token === first.token) {
        if (body !== undefined) pass(res, sent.answer, body);
        else fail(res, 401, "upstream_unauthorized", "Mantle refused the token and the service has no other one yet");
        return;
      }
      if ((await send(req, res, routed, held, fresh, false)).kind === "unreachable") unreachable(res, fresh);
      return;
    }
    // The token's Mantle root refused the connection, before any of the body was read. The cached
    // token may name an address that is gone (a local server that came back elsewhere, say): drop it
    // and try once more with a fresh one before answering 502.
    await client.invalidate(first.region).catch(() => undefined);
    const fresh = await token();
    if (fresh !== undefined && (await send(req, res, routed, held, fresh, true)).kind === "unreachable") unreachable(res, fresh);
  }

  /**
   * A token for this request whose Mantle root is one the service lists; when there is none the
   * request is answered here and the result is undefined.
   */
  async function tokenOrFail(res: ServerResponse, req: IncomingMessage, get: () => Promise<TokenResponse>): Promise<TokenResponse | undefined> {
    let token: TokenResponse;
    try {
      token = await get();
    } catch (error) {
      const status = error instanceof MantleVendError && error.status === 401 ? 401 : 503;
      log(`proxy: no token: ${describe(error)}`);
      refuse(req, res, { status, code: "token_unavailable", message: `the proxy could not get a Mantle token: ${describe(error)}` });
      return undefined;
    }
    let rootRefusal;
    try {
      rootRefusal = await roots.refusal(token.baseUrl);
    } catch (error) {
      log(`proxy: no region list: ${describe(error)}`);
      refuse(req, res, { status: 503, code: "token_unavailable", message: `the proxy could not check the service's Mantle roots: ${describe(error)}` });
      return undefined;
    }
    if (rootRefusal !== undefined) {
      log(`proxy: ${rootRefusal}`);
      refuse(req, res, { status: 502, code: "upstream_not_allowed", message: rootRefusal });
      return undefined;
    }
    return token;
  }

  /**
   * Forwards one request, to its routed path, with `token`. "unreachable" means the connection to Mantle could not be
   * made, before any of the request body was consumed; "unauthorized" (only when `retry401` and the request is held
   * whole) is Mantle's 401, not yet answered, with the dropped token's invalidation; every other outcome is answered here.
   */
  function send(req: IncomingMessage, res: ServerResponse, routed: ForwardRoute, held: Buffer[] | undefined, token: TokenResponse, retry401: boolean): Promise<Sent> {
    const root = new URL(token.baseUrl.replace(/\/v1\/?$/, ""));
    const secure = root.protocol === "https:";
    const headers = requestHeaders(req);
    // With a raw header list node adds no Host of its own.
    headers.push("host", root.host, "authorization", `Bearer ${token.token}`);
    const upstream = (secure ? httpsRequest : httpRequest)({
      protocol: root.protocol,
      hostname: root.hostname.replace(/^\[|\]$/g, ""),
      port: root.port === "" ? undefined : Number(root.port),
      method: req.method,
      path: `${root.pathname.replace(/\/+$/, "")}${routed.path}`,
      headers,
      agent: secure ? agents.https : agents.http,
    });
    let connected = false;
    return new Promise((settled) => {
      // The body flows only once a connection exists, so a refused connection leaves it unread.
      upstream.once("socket", (socket) => {
        const start = (): void => {
          connected = true;
          // A body held whole is written from hand, so it can go again; otherwise what routing read to
          // find the model goes first and the rest streams on.
          if (held !== undefined) {
            for (const chunk of held) upstream.write(chunk);
            upstream.end();
            return;
          }
          for (const chunk of routed.peeked?.chunks ?? []) upstream.write(chunk);
          req.pipe(upstream);
        };
        if (socket.connecting) socket.once("connect", start);
        else start();
      });
      upstream.on("response", (answer) => {
        // A dead token is dropped so the next request gets a new one.
        if (answer.statusCode === 401) {
          const dropped = client.invalidate(token.region).catch(() => undefined);
          if (retry401 && held !== undefined) {
            settled({ kind: "unauthorized", answer, dropped });
            return;
          }
        }
        pass(res, answer);
        settled({ kind: "sent" });
      });
      upstream.on("error", (error) => {
        log(`proxy: upstream ${root.host}: ${describe(error)}`);
        if (!connected && !res.headersSent) {
          settled({ kind: "unreachable" });
          return;
        }
        if (!res.headersSent) fail(res, 502, "upstream_error", `cannot reach Mantle at ${root.host}`);
        else res.destroy();
        settled({ kind: "sent" });
      });
      // The caller went away: stop the upstream request (and its stream) too.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
    });
  }

  return server;
}

/** Starts {@link createProxy} listening; resolves once it accepts connections. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const host = options.host ?? "127.0.0.1";
  const key = options.requireKey === true ? newProxyKey() : undefined;
  const { requireKey: _requireKey, port: _port, ...rest } = options;
  const server = createProxy({ ...rest, host, ...(key === undefined ? {} : { key }) });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8788, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    server,
    url: `http://${urlHost}:${port}`,
    key,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The body of a request the proxy holds whole (read by routing, or a GET/HEAD without one), which can be sent again. */
function heldBody(req: IncomingMessage, routed: ForwardRoute): Buffer[] | undefined {
  if (routed.peeked?.complete === true) return routed.peeked.chunks;
  return req.method === "GET" || req.method === "HEAD" ? [] : undefined;
}

function unreachable(res: ServerResponse, token: TokenResponse): void {
  fail(res, 502, "upstream_error", `cannot reach Mantle at ${new URL(token.baseUrl).host}`);
}

/** Mantle's answer to the caller: status and headers, then its body as it streams (or `body`, already read). */
function pass(res: ServerResponse, answer: IncomingMessage, body?: Buffer): void {
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer));
  res.flushHeaders();
  if (body !== undefined) {
    res.end(body);
    return;
  }
  answer.pipe(res);
  answer.on("error", () => res.destroy());
}

/** A response body of at most 64 KiB (an error's), or undefined when it is longer. */
async function readSmall(answer: IncomingMessage, limit = 64 * 1024): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      answer.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Incoming headers as a raw [name, value, …] list, minus hop-by-hop and credential headers. */
const requestHeaders = (req: IncomingMessage): string[] => passedHeaders(req, DROP_REQUEST);

const responseHeaders = (answer: IncomingMessage): string[] => passedHeaders(answer, DROP_RESPONSE);

/** A message's raw [name, value, …] header list less the `drop` names and those its `connection` header names. */
function passedHeaders(message: IncomingMessage, drop: ReadonlySet<string>): string[] {
  const named = connectionTokens(message.headers.connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    const name = message.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (drop.has(lower) || named.has(lower)) continue;
    out.push(name, message.rawHeaders[i + 1] as string);
  }
  return out;
}

function connectionTokens(value: string | undefined): Set<string> {
  return new Set((value ?? "").split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== ""));
}

/** Answers with the error and discards the request body unread. */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  fail(res, refusal.status, refusal.code, refusal.message, refusal.headers);
  req.resume();
}

/** An OpenAI-shaped error, so SDK clients show the message. */
function fail(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, type: "mantle_vend_proxy_error", message: redact(message) } });
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return redact(typeof code === "string" ? `${error.message} (${code})` : error.message);
  }
  return "unknown error";
}
