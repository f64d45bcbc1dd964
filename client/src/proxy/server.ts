/** The proxy's listener and lifecycle: a node:http server running each request through forward(). */
import { Agent as HttpAgent, createServer, type Server } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import type { MantleVendClient } from "../client.js";
import { MantleVendError } from "../errors.js";
import { defaultSleep, type Sleep } from "../retry.js";
import { VERSION } from "../version.js";
import { answer, describeError, errorAnswer } from "./answer.js";
import { AllowedMantleRoots } from "./allowed-roots.js";
import { CATALOG_WAIT_MS, RoutingCatalog } from "./catalog.js";
import { BoundedWait, settleWithin, withDeadline } from "./deadline.js";
import { forward, type Proxying } from "./forward.js";
import { GrantModels } from "./grant-models.js";
import { keyDigest, listenerHosts, newProxyKey } from "./guard.js";
import { LogThrottle } from "./log-throttle.js";
import type { Guard } from "./steps/refusal.js";

/** A proxied request only goes out with a token that has at least this much life left. */
const PROXY_MIN_TOKEN_SECONDS = 60;
/**
 * The longest a request waits for the service (a token, and the region list its root is checked
 * against, together); the proxy then answers 503 itself. The client's own retries of a silent service
 * take about 40 s, which no caller should wait.
 */
const SERVICE_WAIT_MS = 10_000;
const ALLOWED: Promise<undefined> = Promise.resolve(undefined);

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
  /** Clock (ms) of the proxy's waits for the service; default `Date.now`. For tests, with `sleep`. */
  now?: () => number;
  /** How the proxy waits (`(ms, signal) => Promise<void>`, settling early once aborted); default a timer. */
  sleep?: Sleep;
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
  /** Asks for the region list and the grant, waiting for them a bounded time. */
  warm(): Promise<void>;
}

/**
 * A local HTTP proxy in front of Mantle (docs: client/README.md, "Proxy"): every request goes to the
 * Mantle root of the token's region, on the prefix the team catalog gives its model, with the incoming
 * credentials replaced by `Authorization: Bearer <token>`. Status, headers and body bytes pass through
 * as they arrive (no buffering, no decompression). A silent service never holds a request for long: the
 * catalog, the token and the region list held are used, and what is not held is waited on for a bounded
 * time only.
 */
function createProxy(options: Omit<ProxyOptions, "port" | "requireKey"> & { key: string | undefined }): Lifecycle {
  const { client } = options;
  const log = new LogThrottle(options.log ?? (() => undefined)).log;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const region = options.region === undefined ? {} : { region: options.region };
  const roots = new AllowedMantleRoots(() => client.regions(), now);
  const catalog = new RoutingCatalog(() => client.listModels(region), sleep, log);
  const grant = new GrantModels(() => client.whoami(), now, log);
  const grantWait = new BoundedWait(CATALOG_WAIT_MS, sleep);
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const health = JSON.stringify({ status: "ok", version: VERSION, region: options.region ?? client.region ?? null, keyRequired: options.key !== undefined });
  let guard: Guard | undefined;
  const proxying: Proxying = {
    agents,
    log,
    // The listener's address is known once it listens, before its first request.
    guard: () => (guard ??= { hosts: listenerHosts(server.address() as AddressInfo, options.host), key: options.key === undefined ? undefined : keyDigest(options.key), health }),
    catalog: () => catalog.current(),
    grantModels: async () => {
      // Read at start, then kept and read again behind requests; a first read the service does not
      // answer within the catalog's wait admits every model, as a proxy that never read the grant does.
      const read = await grantWait.settle(grant.current());
      return read.kind === "value" ? read.value : undefined;
    },
    credentials: () => {
      const until = now() + SERVICE_WAIT_MS;
      const bounded = <T>(work: Promise<T>, what: string): Promise<T> =>
        withDeadline(work, until - now(), sleep, () => new MantleVendError({ status: 0, code: "timeout", message: `the service has not answered for ${what} within ${SERVICE_WAIT_MS / 1000} s`, retryable: true }));
      return {
        // A token in its refresh window serves while the next one is fetched: a slow service is not waited on.
        token: () => bounded(client.getToken({ ...region, minValiditySeconds: PROXY_MIN_TOKEN_SECONDS, refreshInBackground: true }), "a token"),
        // A root already found allowed (every request's, in steady state) needs no wait at all.
        rootRefusal: (baseUrl: string) => (roots.allows(baseUrl) ? ALLOWED : bounded(roots.refusal(baseUrl), "its region list")),
      };
    },
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
  // The region list and the grant are asked for at start, so a proxy that got its first token holds them too.
  const warm = async (): Promise<void> => {
    await settleWithin(Promise.all([roots.warm(), grant.current()]), SERVICE_WAIT_MS, sleep);
  };
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
  return { server, drain, warm };
}

/** Starts the proxy listening; resolves once it accepts connections and has asked for the service's region list and the key's grant. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const host = options.host ?? "127.0.0.1";
  if (options.key !== undefined && !/^\S{16,}$/.test(options.key)) throw new Error("the proxy key must be at least 16 characters, without whitespace");
  const key = options.key ?? (options.requireKey === true ? newProxyKey() : undefined);
  const { server, drain, warm } = createProxy({ ...options, host, key });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8788, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await warm();
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
