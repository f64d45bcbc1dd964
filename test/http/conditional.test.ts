import { describe, expect, it } from "vitest";
import { etagMatches } from "../../lambda/http/conditional.js";
import { parseUpstreamModels } from "../../lambda/catalog/models.js";
import { NO_OVERRIDES, servedEtag, serveModels } from "../../lambda/catalog/overrides.js";

describe("etagMatches implements RFC 9110 If-None-Match with weak comparison", () => {
  const etag = '"abc123"';

  it.each<[string, string | undefined, boolean]>([
    ["no header", undefined, false],
    ["an empty header", "", false],
    ["the same tag", '"abc123"', true],
    ["the tag with surrounding spaces", '  "abc123"  ', true],
    ["a different tag", '"abc124"', false],
    ["the tag unquoted (not an entity tag)", "abc123", false],
    ["the weak form of the tag", 'W/"abc123"', true],
    ["a lowercase w/ prefix (not the weak indicator)", 'w/"abc123"', false],
    ["*", "*", true],
    ["* with spaces", " * ", true],
    ["a list containing the tag", '"x", "abc123", "y"', true],
    ["a list without spaces containing the tag", '"x","abc123"', true],
    ["a list of weak tags containing it", 'W/"x", W/"abc123"', true],
    ["a list not containing the tag", '"x", "y"', false],
    ["a tag that contains the current one's text", '"abc1234"', false],
    ["a prefix of the tag", '"abc12"', false],
    ["a tag containing a comma, then the tag", '"a,b", "abc123"', true],
    ["a tag containing the tag text after a comma", '"x,abc123"', false],
    ["a malformed element before the tag", 'garbage, "abc123"', true],
    ["an unterminated quote", '"abc123', false],
    ["empty list elements around the tag", ', ,"abc123",', true],
  ])("%s → %s", (_label, header, expected) => {
    expect(etagMatches(header, etag)).toBe(expected);
  });

  it("compares weakly when the current etag is weak too", () => {
    expect(etagMatches('"abc123"', 'W/"abc123"')).toBe(true);
  });

  it("matches the etag the catalog serves, and not another catalog's", () => {
    const upstream = parseUpstreamModels(new TextEncoder().encode(JSON.stringify({ object: "list", data: [{ id: "a.one" }, { id: "b.two" }] })));
    const models = serveModels(upstream, NO_OVERRIDES, "https://bedrock-mantle.us-east-1.api.aws");
    expect(etagMatches(servedEtag(models), servedEtag(models))).toBe(true);
    expect(etagMatches(servedEtag(models.slice(1)), servedEtag(models))).toBe(false);
  });
});
