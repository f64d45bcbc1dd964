import type { IncomingMessage } from "node:http";
import { calledApi, decideRoute, openAiModelList, requestModel, type RouteDecision } from "./routing.js";
import type { Catalog } from "./types.js";

/** Request bodies up to this size are read for their `model`; larger ones go on unread (docs/catalog.md). */
export const MAX_ROUTED_BODY_BYTES = 1024 * 1024;

/** The body bytes already read from the request, and whether that was all of it. */
export interface PeekedBody {
  chunks: Buffer[];
  complete: boolean;
}

export type ProxyRoute = { kind: "forward"; path: string; peeked?: PeekedBody } | Extract<RouteDecision, { kind: "answer" }>;

/**
 * Reads a request body until it ends or passes `limit`, then pauses the request: whatever
 * was not read yet can still be piped on, so a large upload is never held in memory.
 */
export function peekBody(req: IncomingMessage, limit: number): Promise<PeekedBody> {
  if (Number(req.headers["content-length"]) > limit) return Promise.resolve({ chunks: [], complete: false });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean): void => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
      resolve({ chunks, complete });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done(false);
      }
    };
    const onEnd = (): void => done(true);
    const onError = (error: Error): void => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
      reject(error);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

/**
 * Where the proxy sends a request: `GET /v1/models` is answered with the team catalog;
 * a JSON POST to an API path is read for its `model` and routed by the catalog. Any
 * other request, and any request the catalog cannot be had for, goes on unchanged.
 */
export async function routeForProxy(req: IncomingMessage, catalog: () => Promise<Catalog>, log: (line: string) => void): Promise<ProxyRoute> {
  const target = req.url ?? "/";
  const url = new URL(target, "http://proxy");
  if (req.method === "GET" && url.pathname === "/v1/models") {
    try {
      return { kind: "answer", status: 200, body: openAiModelList(await catalog()) };
    } catch (error) {
      log(`proxy: no catalog for GET /v1/models: ${error instanceof Error ? error.message : "unknown error"}`);
      const body = { error: { message: "the mantle-vend catalog cannot be read right now; try again shortly", type: "server_error", param: null, code: "catalog_unavailable" } };
      return { kind: "answer", status: 503, body: JSON.stringify(body) };
    }
  }
  // A compressed body cannot be read for its model without decompressing it: such a request goes on unread.
  if (req.method !== "POST" || calledApi(url.pathname) === undefined || req.headers["content-encoding"] !== undefined) {
    return { kind: "forward", path: target };
  }
  const peeked = await peekBody(req, MAX_ROUTED_BODY_BYTES);
  const model = peeked.complete ? requestModel(Buffer.concat(peeked.chunks)) : undefined;
  if (model === undefined) return { kind: "forward", path: target, peeked };
  let known: Catalog;
  try {
    known = await catalog();
  } catch (error) {
    log(`proxy: no catalog, forwarding ${url.pathname} unrouted: ${error instanceof Error ? error.message : "unknown error"}`);
    return { kind: "forward", path: target, peeked };
  }
  const decision = decideRoute(known, url.pathname, url.search, model);
  return decision.kind === "forward" ? { ...decision, peeked } : decision;
}
