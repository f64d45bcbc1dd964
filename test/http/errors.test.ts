import { describe, expect, it } from "vitest";
import { CatalogError, CatalogTooLargeError, CatalogUnavailableError, OverridesError, UpstreamError, UpstreamTooLargeError } from "../../lambda/catalog/index.js";
import { DependencyUnavailableError } from "../../lambda/errors.js";
import { BadRequestError, HttpError, toHttpError } from "../../lambda/http/errors.js";
import { KeyStoreUnavailableError, UnknownKeyError } from "../../lambda/keys/index.js";
import type { Log } from "../../lambda/logger.js";

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("toHttpError is the one place a domain error becomes a status", () => {
  it.each<[string, unknown, number, string]>([
    ["a bad request", new BadRequestError("ttlSeconds must be an integer"), 400, "ttlSeconds must be an integer"],
    ["an unknown key", new UnknownKeyError(), 401, "missing or invalid API key"],
    ["Mantle failing with nothing cached", new UpstreamError("us-east-1", { cause: new Error("503") }), 502, "Mantle did not return a model list for us-east-1"],
    [
      "Mantle's list too large to serve, with nothing cached",
      new UpstreamTooLargeError("us-east-1", new CatalogTooLargeError(5_000_000, 4_194_304)),
      502,
      "Mantle's model list for us-east-1: the model list is too large to serve: 5000000 bytes as JSON, over the 4194304-byte cap that keeps answers under Lambda's 6 MB response limit",
    ],
    ["the key store out of reach", new KeyStoreUnavailableError(), 503, "the key store cannot be reached; try again shortly"],
    ["the catalog out of reach", new CatalogUnavailableError(), 503, "the model catalog cannot be read right now; try again shortly"],
    ["any other dependency", new DependencyUnavailableError("AssumeRole failed for arn:aws:iam::123456789012:role/x"), 503, "a dependency of the service is unavailable; try again shortly"],
    // Untrusted stored data is the service's fault, never the caller's: no detail leaves.
    ["a stored catalog that cannot be trusted", new CatalogError("catalog index for us-east-1 is malformed"), 500, "internal error"],
    ["a stored overrides document that cannot be trusted", new OverridesError("the stored catalog overrides are not JSON"), 500, "internal error"],
    ["anything unforeseen", new TypeError("cannot read properties of undefined"), 500, "internal error"],
    ["a thrown non-error", "boom", 500, "internal error"],
  ])("%s → %i", (_what, error, status, message) => {
    const mapped = toHttpError(error, quiet);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toBe(message);
  });

  it("answers 401 with www-authenticate: Bearer", () => {
    expect(toHttpError(new UnknownKeyError(), quiet).headers).toEqual({ "www-authenticate": "Bearer" });
  });

  it("passes an HttpError through with its headers", () => {
    const own = new HttpError(429, "rate limit exceeded for this key", { "retry-after": "2" });
    expect(toHttpError(own, quiet)).toBe(own);
  });

  it("keeps the failure it wraps as cause, for the log and never for the caller", () => {
    const cause = new Error("ECONNREFUSED 127.0.0.1:1");
    expect(new UpstreamError("us-west-2", { cause }).cause).toBe(cause);
    expect(toHttpError(new UpstreamError("us-west-2", { cause }), quiet).message).not.toContain("ECONNREFUSED");
  });
});
