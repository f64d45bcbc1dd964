import { randomUUID } from "node:crypto";
import { errorResponse, HttpError, toHttpError } from "./errors.js";
import { jsonResponse } from "./responses.js";
import type { CatalogService } from "../catalog/index.js";
import type { KeyCache, RateLimiter, Caller } from "../keys/index.js";
import type { Log } from "../logger.js";
import { baseUrl, defaultRegionFor, regionsFor } from "../allowlist.js";
import { route, type RouteName } from "./router.js";
import { effectiveTtl, keySubject, mintToken, type CredentialSource } from "../tokens/index.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";
import { bodyBytes, bodyText, header, MAX_BODY_BYTES, parseModelsQuery, parseTokenRequest } from "./requests.js";
import { etagMatches } from "./conditional.js";
import type { CatalogBody, HealthBody, RegionsBody, TokenBody } from "./bodies.js";

export interface ApiDependencies {
  config: Config;
  keys: KeyCache;
  catalogs: CatalogService;
  limiter: RateLimiter;
  credentials: CredentialSource;
  clock: Clock;
  log: Log;
  version: string;
}

/** What one request log line records; never a token, key, secret or hash. */
interface RequestFacts {
  route?: RouteName;
  keyId?: string;
  keyName?: string;
  region?: string;
  ttlSeconds?: number;
}

/** No route takes more than a region in its query; anything this long is not a real client. */
const MAX_QUERY_CHARS = 1024;

export type Api = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

/** The HTTP API (docs/http-api.md) as a function of a function-URL event. */
export function createApi(deps: ApiDependencies): Api {
  const { config, log, clock } = deps;

  async function serve(event: FunctionUrlEvent, requestId: string, facts: RequestFacts): Promise<FunctionUrlResult> {
    const matched = route(event.requestContext?.http?.method ?? "", event.rawPath ?? "");
    facts.route = matched.name;
    if (bodyBytes(event) > MAX_BODY_BYTES) throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    if (matched.name === "health") return jsonResponse(200, { status: "ok", version: deps.version } satisfies HealthBody, requestId);

    const caller = await deps.keys.authenticate(header(event, "authorization"));
    facts.keyId = caller.keyId;
    facts.keyName = caller.record.name;
    const admission = deps.limiter.take(caller.keyId, caller.record.rateLimit ?? config.rateLimit);
    if (!admission.admitted) {
      throw new HttpError(429, "rate limit exceeded for this key", { "retry-after": String(admission.retryAfterSeconds) });
    }

    if ((event.rawQueryString ?? "").length > MAX_QUERY_CHARS) throw new HttpError(400, "query string too long");

    switch (matched.name) {
      case "regions":
        return jsonResponse(200, listRegions(caller), requestId);
      case "tokens":
        return jsonResponse(200, await issueToken(event, caller, facts), requestId);
      case "models":
        return listModels(event, caller, requestId, facts);
    }
  }

  /** The caller's region choice, checked against what the key may use (400 before 403). */
  function regionFor(requested: string | undefined, caller: Caller, allowed: string[], facts: RequestFacts): string {
    const region = requested ?? defaultRegionFor(config, caller);
    facts.region = region;
    if (region === undefined || !allowed.includes(region)) {
      throw new HttpError(403, region === undefined ? "this key may not use any region" : `this key may not use ${region}`);
    }
    return region;
  }

  async function listModels(event: FunctionUrlEvent, caller: Caller, requestId: string, facts: RequestFacts): Promise<FunctionUrlResult> {
    const requested = parseModelsQuery(event.rawQueryString ?? "", config).region;
    const region = regionFor(requested, caller, regionsFor(config, caller), facts);
    const served = await deps.catalogs.get(region);
    const headers = { etag: served.etag, "cache-control": `private, max-age=${served.maxAgeSeconds}` };
    if (etagMatches(header(event, "if-none-match"), served.etag)) {
      return { statusCode: 304, headers: { ...headers, "x-request-id": requestId }, body: "" };
    }
    const { checkedAt, changedAt } = served.catalog;
    const body: CatalogBody = { region, baseUrl: baseUrl(config, region), checkedAt, changedAt, stale: served.stale, models: served.models };
    return jsonResponse(200, body, requestId, headers);
  }

  function listRegions(caller: Caller): RegionsBody {
    return {
      defaultRegion: defaultRegionFor(config, caller) ?? null,
      regions: regionsFor(config, caller).map((region) => ({ region, baseUrl: baseUrl(config, region) })),
    };
  }

  async function issueToken(event: FunctionUrlEvent, caller: Caller, facts: RequestFacts): Promise<TokenBody> {
    const request = parseTokenRequest(bodyText(event), config);
    const allowed = regionsFor(config, caller);
    const region = regionFor(request.region, caller, allowed, facts);
    const ttlSeconds = effectiveTtl(request.ttlSeconds, config, caller);
    facts.ttlSeconds = ttlSeconds;
    const credentials = await deps.credentials(keySubject(caller, allowed), ttlSeconds);
    const minted = await mintToken(credentials, region, ttlSeconds);
    return {
      token: minted.token,
      tokenType: "bearer",
      region,
      baseUrl: baseUrl(config, region),
      issuedAt: minted.issuedAt.toISOString(),
      expiresAt: minted.expiresAt.toISOString(),
      expiresInSeconds: Math.max(0, Math.floor((minted.expiresAt.getTime() - minted.issuedAt.getTime()) / 1000)),
    };
  }

  return async (event) => {
    const started = clock();
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const facts: RequestFacts = {};
    let result: FunctionUrlResult;
    try {
      result = await serve(event, requestId, facts);
    } catch (error) {
      result = errorResponse(toHttpError(error, log), requestId);
    }
    log.info("request", { requestId, ...facts, status: result.statusCode, latencyMs: clock() - started });
    return result;
  };
}
