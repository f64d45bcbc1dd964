import { catalogSubject } from "../grants/index.js";
import { mintToken, type CredentialSource } from "../tokens/index.js";
import { CatalogError } from "./errors.js";
import { MAX_UPSTREAM_BYTES, parseUpstreamModels, type CatalogModel } from "./models.js";
import type { LiveModels } from "./service.js";
import type { Clock } from "../clock.js";

export type Fetch = typeof fetch;
/** A signal that aborts after `ms`; tests inject one driven by the emulator instead of a real timer. */
export type TimeoutSignal = (ms: number) => AbortSignal;

/** A token minted only to list models lives no longer than this. */
const CATALOG_TOKEN_TTL_SECONDS = 300;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 5_000;

export interface LiveModelsOptions {
  credentials: CredentialSource;
  /** The Mantle root of an allowlisted region. */
  mantleRoot: (region: string) => string;
  /** Deadline for one live `GET /v1/models`, body included; never past what the request has left. */
  timeoutMs?: number;
  fetch?: Fetch;
  /** Defaults to AbortSignal.timeout. */
  timeoutSignal?: TimeoutSignal;
  /** Bounds how far ahead a model's `created` may be. */
  clock?: Clock;
}

/** Lists a region's models from Mantle itself, with a short-lived token of the catalog's own subject. */
export function liveModelsFromMantle(options: LiveModelsOptions): LiveModels {
  const clock = options.clock ?? Date.now;
  return async (region, remainingMs) => {
    const credentials = await options.credentials(catalogSubject(region), CATALOG_TOKEN_TTL_SECONDS);
    const { token } = await mintToken(credentials, region, CATALOG_TOKEN_TTL_SECONDS);
    const timeoutMs = Math.min(options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS, remainingMs);
    return fetchUpstreamModels(options.mantleRoot(region), token, timeoutMs, options.fetch, clock(), options.timeoutSignal);
  };
}

/**
 * `GET <Mantle root>/v1/models` with a bearer token. The whole exchange, body included,
 * runs under one deadline, and a body is cut off as soon as it passes the size limit:
 * a slow or endless upstream is a failure, never a partial catalog. A redirect is a
 * failure too: the bearer token is for Mantle's own host, and the catalog comes from there.
 */
export async function fetchUpstreamModels(
  root: string,
  token: string,
  timeoutMs: number,
  fetchImpl: Fetch = fetch,
  nowMs: number = Date.now(),
  timeoutSignal: TimeoutSignal = AbortSignal.timeout,
): Promise<CatalogModel[]> {
  const signal = timeoutSignal(timeoutMs);
  try {
    const response = await fetchImpl(`${root}/v1/models`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      redirect: "error",
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new CatalogError(`Mantle answered ${response.status} to GET /v1/models`);
    }
    return parseUpstreamModels(await readCapped(response, MAX_UPSTREAM_BYTES), nowMs);
  } catch (error) {
    if (error instanceof CatalogError) throw error;
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : "the request failed";
    throw new CatalogError(`Mantle GET /v1/models: ${reason}`, { cause: error });
  }
}

async function readCapped(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > limit) {
    await response.body?.cancel();
    throw new CatalogError(`upstream model list is larger than ${limit} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (next === undefined || next.done) break;
    size += next.value.byteLength;
    if (size > limit) {
      await reader?.cancel();
      throw new CatalogError(`upstream model list is larger than ${limit} bytes`);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}
