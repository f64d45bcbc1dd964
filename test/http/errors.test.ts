import { describe, expect, it } from "vitest";
import { CatalogError, CatalogTooLargeError, CatalogUnavailableError, OverridesError, UpstreamError, UpstreamTooLargeError } from "../../lambda/catalog/index.js";
import { DependencyUnavailableError, InvalidRequestError, RateLimitedError } from "../../lambda/errors.js";
import { RegionNotAllowedError } from "../../lambda/grants/index.js";
import { HttpError, toHttpError } from "../../lambda/http/errors.js";
import { UnknownKeyError } from "../../lambda/keys/index.js";
import { SnapshotUnavailableError, StoreUnavailableError } from "../../lambda/store/index.js";
import type { Log } from "../../lambda/logger.js";
import { IdentityTokenRefusedError, KeySetUnavailableError, NoPolicyAdmitsError } from "../../lambda/identity/errors.js";
import { keyAs } from "../support/principals.js";

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const key = keyAs("ci", { regions: ["us-west-2"], maxTtlSeconds: 3600 });

describe("toHttpError is the one place a domain error becomes a status", () => {
  it.each<[string, unknown, number, string]>([
    ["a bad request", new InvalidRequestError("ttlSeconds must be an integer"), 400, "ttlSeconds must be an integer"],
    ["an unknown key", new UnknownKeyError(), 401, "missing or invalid API key"],
    ["a region the grant does not allow", new RegionNotAllowedError(key, "eu-west-1", ["us-west-2"]), 403, "this key may not use eu-west-1; it may use: us-west-2"],
    ["a principal over its rate", new RateLimitedError("rate limit exceeded for this key", 2), 429, "rate limit exceeded for this key"],
    ["Mantle failing with nothing cached", new UpstreamError("us-east-1", { cause: new Error("503") }), 502, "Mantle did not return a model list for us-east-1"],
    [
      "Mantle's list too large to serve, with nothing cached",
      new UpstreamTooLargeError("us-east-1", new CatalogTooLargeError(5_000_000, 4_194_304)),
      502,
      "Mantle's model list for us-east-1: the model list is too large to serve: 5000000 bytes as JSON, over the 4194304-byte cap that keeps answers under Lambda's 6 MB response limit",
    ],
    ["the key store out of reach", new SnapshotUnavailableError("key store"), 503, "the key store cannot be reached; try again shortly"],
    ["the parameter store failing", new StoreUnavailableError("read /mantle-vend/keys-version", { cause: new Error("ThrottlingException") }), 503, "a dependency of the service is unavailable; try again shortly"],
    ["the catalog out of reach", new CatalogUnavailableError(), 503, "the model catalog cannot be read right now; try again shortly"],
    ["any other dependency", new DependencyUnavailableError("AssumeRole failed for arn:aws:iam::123456789012:role/x"), 503, "a dependency of the service is unavailable; try again shortly"],
    ["an identity token refused by rules 1-4", new IdentityTokenRefusedError("signature"), 401, "the identity token's signature does not verify with its issuer's keys"],
    ["an identity token no policy admits", new NoPolicyAdmitsError(), 403, "no identity policy admits this token"],
    ["an issuer's keys out of reach", new KeySetUnavailableError("the keys of https://issuer.example could not be fetched"), 503, "a dependency of the service is unavailable; try again shortly"],
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
    expect(toHttpError(new IdentityTokenRefusedError("expiry"), quiet).headers).toEqual({ "www-authenticate": "Bearer" });
  });

  it("answers 429 with retry-after in whole seconds", () => {
    expect(toHttpError(new RateLimitedError("rate limit exceeded for this key", 3), quiet).headers).toEqual({ "retry-after": "3" });
  });

  it("passes an HttpError through with its headers", () => {
    const own = new HttpError(405, "/v1/tokens accepts POST only", { allow: "POST" });
    expect(toHttpError(own, quiet)).toBe(own);
  });

  it("keeps the failure it wraps as cause, for the log and never for the caller", () => {
    const cause = new Error("ECONNREFUSED 127.0.0.1:1");
    expect(new UpstreamError("us-west-2", { cause }).cause).toBe(cause);
    expect(toHttpError(new UpstreamError("us-west-2", { cause }), quiet).message).not.toContain("ECONNREFUSED");
  });
});

describe("a dependency's failure says which dependency failed, for metrics and logs", () => {
  it.each<[string, DependencyUnavailableError, string | undefined]>([
    ["the parameter store", new StoreUnavailableError("read /p/keys-version", { cause: new Error("x") }), "ssm"],
    ["keys past their age with the store out of reach", new SnapshotUnavailableError("key store"), "ssm"],
    ["a catalog the store cannot give", new CatalogUnavailableError(), "ssm"],
    ["a catalog Mantle could not give for want of STS", new CatalogUnavailableError({ cause: new DependencyUnavailableError("x", { dependency: "sts" }) }), "sts"],
    ["an identity provider's keys", new KeySetUnavailableError("x"), "jwks"],
    ["an unnamed one", new DependencyUnavailableError("x"), undefined],
  ])("%s → %s", (_what, error, dependency) => {
    expect(error.dependency).toBe(dependency);
  });
});
