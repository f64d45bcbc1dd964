import { CatalogError, MAX_UPSTREAM_BYTES, parseUpstreamModels, type CatalogModel } from "./models.js";

export type Fetch = typeof fetch;

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
): Promise<CatalogModel[]> {
  const signal = AbortSignal.timeout(timeoutMs);
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
