import { randomUUID } from "node:crypto";
import { errorResponse, HttpError, refusalReason, toHttpError } from "./errors.js";
import { jsonResponse } from "./responses.js";
import type { CatalogService } from "../catalog/index.js";
import { RegionNotAllowedError, type Authenticate, type Grants, type Principal } from "../grants/index.js";
import type { Log } from "../logger.js";
import { baseUrl } from "../mantle-urls.js";
import { route, type RouteName } from "./router.js";
import type { TokenIssuer } from "../tokens/index.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import { DependencyUnavailableError } from "../errors.js";
import type { RefusalReason, ServiceMetrics } from "../metrics/index.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";
import { bearerCredential, bodyBytes, bodyText, header, MAX_BODY_BYTES, parseModelsQuery, parseTokenRequest } from "./requests.js";
import { etagMatches } from "./conditional.js";
import type { CatalogBody, HealthBody, IdentityBody, RegionsBody, WhoamiBody } from "./bodies.js";

export interface ApiDependencies {
  config: Config;
  authenticate: Authenticate;
  grants: Grants;
  tokens: TokenIssuer;
  catalogs: CatalogService;
  clock: Clock;
  log: Log;
  metrics: ServiceMetrics;
  version: string;
}

/** What one request log line records; never a token, key, secret or hash. */
interface RequestFacts {
  route?: RouteName;
  principal?: string;
  region?: string;
  ttlSeconds?: number;
  /** Why the request was refused (the `Refused` metric's reason), for the saved log queries. */
  reason?: RefusalReason;
  [field: string]: string | number | undefined;
}

/** The string fields of `facts` named in `names` (what metrics carry as metadata). */
function pick(facts: RequestFacts, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (typeof facts[name] === "string" ? [[name, facts[name]]] : [])));
}

/** No route takes more than a region in its query; anything this long is not a real client. */
const MAX_QUERY_CHARS = 1024;

export type Api = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

/**
 * The HTTP API (docs/http-api.md) as a function of a function-URL event: it parses, routes, and
 * maps errors; what a principal may do is the grants' answer and a token is the issuer's.
 */
export function createApi(deps: ApiDependencies): Api {
  const { config, log, clock, grants } = deps;

  async function serve(event: FunctionUrlEvent, requestId: string, facts: RequestFacts): Promise<FunctionUrlResult> {
    const matched = route(event.requestContext?.http?.method ?? "", event.rawPath ?? "");
    facts.route = matched.name;
    if (bodyBytes(event) > MAX_BODY_BYTES) throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    if (matched.name === "health") return jsonResponse(200, { status: "ok", version: deps.version } satisfies HealthBody, requestId);
    // Public, and the same for everyone until the deployment changes: clients may keep it a while.
    if (matched.name === "identity") return jsonResponse(200, { login: config.login ?? null } satisfies IdentityBody, requestId, { "cache-control": "max-age=300" });

    const principal = await deps.authenticate(bearerCredential(event));
    Object.assign(facts, principal.logFields, { principal: principal.id });
    grants.admit(principal);
    if ((event.rawQueryString ?? "").length > MAX_QUERY_CHARS) throw new HttpError(400, "query string too long");

    switch (matched.name) {
      case "regions":
        return jsonResponse(200, listRegions(principal), requestId);
      case "tokens": {
        const issued = await deps.tokens.issue(principal, () => parseTokenRequest(bodyText(event)));
        facts.region = issued.body.region;
        facts.ttlSeconds = issued.ttlSeconds;
        return jsonResponse(200, issued.body, requestId, issued.headers);
      }
      case "models":
        return listModels(event, principal, requestId, facts);
      case "whoami":
        return jsonResponse(200, whoami(principal), requestId);
    }
  }

  async function listModels(event: FunctionUrlEvent, principal: Principal, requestId: string, facts: RequestFacts): Promise<FunctionUrlResult> {
    const region = grants.region(principal, parseModelsQuery(event.rawQueryString ?? "").region);
    facts.region = region;
    const served = await deps.catalogs.get(region);
    const { models, etag } = grants.catalogView(principal, served);
    const headers = { etag, "cache-control": `private, max-age=${served.maxAgeSeconds}` };
    if (etagMatches(header(event, "if-none-match"), etag)) {
      return { statusCode: 304, headers: { ...headers, "x-request-id": requestId }, body: "" };
    }
    const { checkedAt, changedAt } = served.catalog;
    const body: CatalogBody = { region, baseUrl: baseUrl(config, region), checkedAt, changedAt, stale: served.stale, models };
    return jsonResponse(200, body, requestId, headers);
  }

  function listRegions(principal: Principal): RegionsBody {
    return {
      defaultRegion: grants.defaultRegion(principal) ?? null,
      regions: grants.regions(principal).map((region) => ({ region, baseUrl: baseUrl(config, region) })),
    };
  }

  function whoami(principal: Principal): WhoamiBody {
    return { principal: principal.id, kind: principal.kind, name: principal.name, grant: grants.effective(principal), mintsToday: deps.tokens.mintsToday(principal) };
  }

  return async (event) => {
    const started = clock();
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const facts: RequestFacts = {};
    let result: FunctionUrlResult;
    let failed: DependencyUnavailableError | undefined;
    try {
      result = await serve(event, requestId, facts);
    } catch (error) {
      // A refused region is worth a log line's field: it says what the principal asked for.
      if (error instanceof RegionNotAllowedError && error.region !== undefined) facts.region = error.region;
      const answer = toHttpError(error, log);
      facts.reason = refusalReason(answer);
      if (error instanceof DependencyUnavailableError && answer.status === 503) failed = error;
      result = errorResponse(answer, requestId);
    }
    log.info("request", { requestId, ...facts, status: result.statusCode, latencyMs: clock() - started });
    // The one place a request's outcome is known: every metric of a request is counted here.
    deps.metrics.request({
      minted: facts.route === "tokens" && result.statusCode === 200,
      ...(facts.reason === undefined ? {} : { refused: facts.reason }),
      serverError: result.statusCode >= 500,
      ...(failed?.dependency === undefined ? {} : { dependency: failed.dependency }),
      metadata: { requestId, ...(facts.principal === undefined ? {} : { principal: facts.principal }), ...pick(facts, ["keyId", "policy"]) },
    });
    return result;
  };
}
