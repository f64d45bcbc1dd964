import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import type { MantleVendClient } from "./client.js";
import type { TokenResponse } from "./types.js";
import { MantleVendError, redact } from "./errors.js";
import { AllowedMantleRoots, listenerHosts, newProxyKey, proxyKeyRefusal, requestRefusal, type Refusal } from "./proxy-guard.js";
import { routeForProxy } from "./proxy-routing.js";

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
    // Routed by the team catalog: another prefix for the model, or the proxy's own answer.
    const routed = await routeForProxy(req, () => client.listModels(options.region === undefined ? {} : { region: options.region }), log);
    if (routed.kind === "answer") {
      res.writeHead(routed.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(routed.body) });
      res.end(routed.body);
      req.resume();
      return;
    }
    const first = await usableToken(req, res);
    if (first === undefined) return;
    // A request the proxy holds whole (a routed JSON body, or none) can be sent again.
    const replay = routed.peeked?.complete === true ? routed.peeked.chunks : req.method === "GET" || req.method === "HEAD" ? [] : undefined;

    const attempt = (token: TokenResponse, retry: boolean): void => {
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
      upstream.on("response", (answer) => {
        if (answer.statusCode === 401) {
          // A token can die before its expiry (SPEC §1: the signing credentials expired first). Drop it;
          // a request held whole goes again, once, if the service hands out a different token (two
          // tokens minted in one second are the same string), so the caller never sees the 401.
          const dropped = client.invalidate(token.region).catch(() => undefined);
          if (retry && replay !== undefined) {
            void retryWithNewToken(answer, token, dropped).catch((error: unknown) => {
              log(`proxy: ${describe(error)}`);
              fail(res, 502, "upstream_error", "the proxy could not complete the request");
            });
            return;
          }
        }
        pass(answer);
      });
      upstream.on("error", (error) => {
        log(`proxy: upstream ${root.host}: ${describe(error)}`);
        if (!res.headersSent) fail(res, 502, "upstream_error", `cannot reach Mantle at ${root.host}`);
        else res.destroy();
      });
      // The caller went away: stop the upstream request (and its stream) too.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      if (replay !== undefined) {
        for (const chunk of replay) upstream.write(chunk);
        upstream.end();
        return;
      }
      for (const chunk of routed.peeked?.chunks ?? []) upstream.write(chunk);
      req.pipe(upstream);
    };
    const pass = (answer: IncomingMessage, body?: Buffer): void => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer));
      res.flushHeaders();
      if (body !== undefined) {
        res.end(body);
        return;
      }
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    };

    const retryWithNewToken = async (refusal: IncomingMessage, refused: TokenResponse, dropped: Promise<unknown>): Promise<void> => {
      const body = await readSmall(refusal);
      await dropped;
      const fresh = await usableToken(req, res);
      if (fresh === undefined) return;
      if (fresh.token !== refused.token) attempt(fresh, false);
      else if (body !== undefined) pass(refusal, body);
      else fail(res, 401, "upstream_unauthorized", "Mantle refused the token and the service has no other one yet");
    };

    attempt(first, true);
  }

  /** A token with enough life left for an allowed Mantle root, or undefined once the caller got a refusal. */
  async function usableToken(req: IncomingMessage, res: ServerResponse): Promise<TokenResponse | undefined> {
    let token: TokenResponse;
    try {
      token = await client.getToken({
        ...(options.region === undefined ? {} : { region: options.region }),
        minValiditySeconds: PROXY_MIN_TOKEN_SECONDS,
      });
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
function requestHeaders(req: IncomingMessage): string[] {
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (DROP_REQUEST.has(lower) || named.has(lower)) continue;
    out.push(name, req.rawHeaders[i + 1] as string);
  }
  return out;
}

function responseHeaders(answer: IncomingMessage): string[] {
  const named = connectionTokens(answer.headers.connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    const name = answer.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (DROP_RESPONSE.has(lower) || named.has(lower)) continue;
    out.push(name, answer.rawHeaders[i + 1] as string);
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
