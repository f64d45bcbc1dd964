import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../lambda/errors.js";
import { bearerCredential, parseModelsQuery } from "../../lambda/http/requests.js";
import { functionUrlEvent } from "../support/events.js";

describe("the bearer credential is read from Authorization: Bearer <credential> only", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
    [undefined, undefined],
  ])("%j → %j", (authorization, expected) => {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    expect(bearerCredential(functionUrlEvent({ headers }))).toBe(expected);
  });
});

describe("GET /v1/models takes region at most once, and nothing else (docs/http-api.md, Strict queries)", () => {
  it.each(["region=us-east-1&region=us-east-1", "region=us-east-1&region=eu-west-1", "region=&region=us-east-1", "region=us-east-1&x=1", "x=1"])("%j is a bad request", (query) => {
    expect(() => parseModelsQuery(query)).toThrow(InvalidRequestError);
  });

  it("one region, or none", () => {
    expect(parseModelsQuery("region=us-east-1")).toEqual({ region: "us-east-1" });
    expect(parseModelsQuery("")).toEqual({});
  });
});
