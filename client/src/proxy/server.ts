/** The proxy's listener and lifecycle: a node:http server running each request through forward(). */
import { Agent as HttpAgent, createServer, type Server } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import type { MantleVendClient } from "../client.js";
import { answer, describeError, errorAnswer } from "./answer.js";
import { AllowedMantleRoots } from "./allowed-roots.js";
import { forward } from "./forward.js";
import { keyDigest, listenerHosts, newProxyKey } from "./guard.js";
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

/**
 * A local HTTP proxy in front of Mantle (docs: client/README.md, "Proxy"): every request goes to the
 * Mantle root of the token's region, on the prefix the team catalog gives its model, with the incoming
 * credentials replaced by `Authorization: Bearer <token>`. Status, headers and body bytes pass through
 * as they arrive (no buffering, no decompression).
 */
function createProxy(options: Omit<ProxyOptions, "port" | "requireKey"> & { key: string | undefined }): Server {
  const { client } = options;
  const log = options.log ?? (() => undefined);
  const region = options.region === undefined ? {} : { region: options.region };
  const roots = new AllowedMantleRoots(() => client.regions());
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  let guard: Guard | undefined;
  const proxying = {
    agents,
    log,
    // The listener's address is known once it listens, before its first request.
    guard: () => (guard ??= { hosts: listenerHosts(server.address() as AddressInfo, options.host), key: options.key === undefined ? undefined : keyDigest(options.key) }),
    catalog: () => client.listModels(region),
    token: () => client.getToken({ ...region, minValiditySeconds: PROXY_MIN_TOKEN_SECONDS }),
    rootRefusal: (baseUrl: string) => roots.refusal(baseUrl),
    drop: (name: string) => client.invalidate(name).catch(() => undefined),
  };
  const server = createServer((req, res) => {
    forward(req, res, proxying).catch((error: unknown) => {
      log(`proxy: ${describeError(error)}`);
      answer(req, res, errorAnswer(502, "upstream_error", "the proxy could not complete the request"));
    });
  });
  server.on("close", () => {
    agents.http.destroy();
    agents.https.destroy();
  });
  return server;
}

/** Starts the proxy listening; resolves once it accepts connections. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const host = options.host ?? "127.0.0.1";
  const key = options.requireKey === true ? newProxyKey() : undefined;
  const server = createProxy({ ...options, host, key });
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
