/** OpenClaw's exec secret-provider protocol, answered by `mantle-vend openclaw-resolver`. */
import { MantleVendError, redact } from "../errors.js";
import { isRecord } from "../guards.js";
import { isRegionName } from "../rules.js";
import type { TokenResponse } from "../types.js";

export interface ResolverRequest {
  protocolVersion: 1;
  provider: string;
  ids: string[];
}

export interface ResolverResponse {
  protocolVersion: 1;
  values: Record<string, string>;
  errors?: Record<string, { code: string; message: string }>;
}

/** Parses OpenClaw's request; throws an Error with a one-line reason when it is not one. */
export function parseResolverRequest(text: string): ResolverRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the request on stdin is not JSON");
  }
  if (!isRecord(value) || value["protocolVersion"] !== 1) throw new Error("the request must have protocolVersion 1");
  const ids = value["ids"];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) throw new Error("the request's ids must be an array of strings");
  return { protocolVersion: 1, provider: typeof value["provider"] === "string" ? value["provider"] : "", ids: ids as string[] };
}

/**
 * Answers each id with a token: an id is a region, or `default` for the default region. Ids that are
 * not regions, or regions the server will not serve this key (400/403/404), are NOT_FOUND; a failure to
 * get an answer at all is UNAVAILABLE (UNAUTHORIZED for a rejected key).
 */
export async function resolveSecrets(
  request: ResolverRequest,
  getToken: (region: string | undefined) => Promise<TokenResponse>,
): Promise<ResolverResponse> {
  type Answer = { value: string } | { error: { code: string; message: string } };
  const answers = await Promise.all(
    [...new Set(request.ids)].map(async (id): Promise<[string, Answer]> => {
      if (id !== "default" && !isRegionName(id)) {
        return [id, { error: { code: "NOT_FOUND", message: `${JSON.stringify(id.slice(0, 64))} is not a region (ids are regions such as us-east-1, or "default")` } }];
      }
      try {
        return [id, { value: (await getToken(id === "default" ? undefined : id)).token }];
      } catch (error) {
        return [id, { error: resolverError(id, error) }];
      }
    }),
  );
  // Built from entries, so every id (__proto__ included) is an ordinary key of the answer.
  const values: Record<string, string> = Object.fromEntries(answers.flatMap(([id, a]) => ("value" in a ? [[id, a.value]] : [])));
  const errors: Record<string, { code: string; message: string }> = Object.fromEntries(answers.flatMap(([id, a]) => ("error" in a ? [[id, a.error]] : [])));
  const response: ResolverResponse = { protocolVersion: 1, values };
  if (Object.keys(errors).length > 0) response.errors = errors;
  return response;
}

function resolverError(id: string, error: unknown): { code: string; message: string } {
  if (!(error instanceof MantleVendError)) return { code: "UNAVAILABLE", message: `could not get a token for ${id}` };
  const message = redact(error.message);
  if (error.status === 400 || error.status === 403 || error.status === 404) {
    return { code: "NOT_FOUND", message: `mantle-vend does not serve ${id} for this key: ${message}` };
  }
  if (error.status === 401) return { code: "UNAUTHORIZED", message: `the mantle-vend API key was rejected: ${message}` };
  return { code: "UNAVAILABLE", message: `could not get a token for ${id}: ${message}` };
}
