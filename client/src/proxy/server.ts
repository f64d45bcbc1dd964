/** The proxy's listener and lifecycle: a node:http server running each request through forward(). */
import { Agent as HttpAgent, createServer, type Server } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import type { MantleVendClient } from "../client.js";
import { VERSION } from "../version.js";
import { answer, describeError, errorAnswer } from "./answer.js";
import { AllowedMantleRoots } from "./allowed-roots.js";
import { forward } from "./forward.js";
import { GrantModels } from "./grant-models.js";
import { keyDigest, listenerHosts, newProxyKey } from "./guard.js";
import { LogThrottle } from "./log-throttle.js";
import type { Guard } from "./steps/refusal.js";

/** A proxied request only goes out with a token that has at least this much life left. */
const PROXY_MIN_TOKEN_SECONDS = 60;

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
  /** Demand this secret instead of a fresh one (a key kept across restarts); implies `requireKey`. */
  key?: string;
  /** Called with one line on failures (never with a token); a line that repeats is logged once a minute. */
  log?: (line: string) => void;
}

export interface RunningProxy {
  server: Server;
  /** e.g. `http://127.0.0.1:8788` */
  url: string;
  /** The secret callers must present, when started with `requireKey` or `key`. */
  key: string | undefined;
  /** Stops at once: the listener and every connection, requests in flight included. */
  close(): Promise<void>;
  /**
   * Stops gracefully: no new connection is accepted, a new request on an open connection gets 503, and
   * requests in flight (streams included) run to their end for up to `timeoutMs`; then every connection
   * is closed. Resolves with how many requests were still running when the time was up.
   */
  drain(timeoutMs: number): Promise<{ unfinished: number }>;
}

interface Lifecycle {
  server: Server;
  drain(timeoutMs: number): Promise<{ unfinished: number }>;
}

/**
 * A local HTTP proxy in front of Mantle (docs: client/README.md, "Proxy"): every request goes to the
 * Mantle root of the token's region, on the prefix the team catalog gives its model, with the incoming
 * credentials replaced by `Authorization: Bearer <token>`. Status, headers and body bytes pass through
 * as they arrive (no buffering, no decompression).
 */
function createProxy(options: Omit<ProxyOptions, "port" | "requireKey"> & { key: string | undefined }): Lifecycle {
  const { client } = options;
  const log = new LogThrottle(options.log ?? (() => undefined)).log;
  const region = options.region === undefined ? {} : { region: options.region };
  const roots = new AllowedMantleRoots(() => client.regions());
  const grant = new GrantModels(() => client.whoami(), Date.now, log);
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const health = JSON.stringify({ status: "ok", version: VERSION, region: options.region ?? client.region ?? null, keyRequired: options.key !== undefined });
  let guard: Guard | undefined;
  const proxying = {
    agents,
    log,
    // The listener's address is known once it listens, before its first request.
    guard: () => (guard ??= { hosts: listenerHosts(server.address() as AddressInfo, options.host), key: options.key === undefined ? undefined : keyDigest(options.key), health }),
    catalog: () => client.listModels(region),
    grantModels: () => grant.current(),
    token: () => client.getToken({ ...region, minValiditySeconds: PROXY_MIN_TOKEN_SECONDS }),
    rootRefusal: (baseUrl: string) => roots.refusal(baseUrl),
    drop: (name: string) => client.invalidate(name).catch(() => undefined),
  };
  let inFlight = 0;
  let draining = false;
  const idle = new Set<() => void>();
  const server = createServer((req, res) => {
    if (draining) return answer(req, res, errorAnswer(503, "unavailable", "the proxy is stopping", { connection: "close" }));
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) for (const done of idle) done();
    });
    forward(req, res, proxying).catch((error: unknown) => {
      log(`proxy: ${describeError(error)}`);
      answer(req, res, errorAnswer(502, "upstream_error", "the proxy could not complete the request"));
    });
  });
  server.on("close", () => {
    agents.http.destroy();
    agents.https.destroy();
  });
  const drain = async (timeoutMs: number): Promise<{ unfinished: number }> => {
    draining = true;
    server.close();
    server.closeIdleConnections();
    if (inFlight > 0) {
      await new Promise<void>((done) => {
        const finish = (): void => {
          clearTimeout(timer);
          idle.delete(finish);
          done();
        };
        const timer = setTimeout(finish, timeoutMs);
        idle.add(finish);
      });
    }
    const unfinished = inFlight;
    server.closeAllConnections();
    return { unfinished };
  };
  return { server, drain };
}

/** Starts the proxy listening; resolves once it accepts connections. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const host = options.host ?? "127.0.0.1";
  if (options.key !== undefined && !/^\S{16,}$/.test(options.key)) throw new Error("the proxy key must be at least 16 characters, without whitespace");
  const key = options.key ?? (options.requireKey === true ? newProxyKey() : undefined);
  const { server, drain } = createProxy({ ...options, host, key });
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
    drain,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
