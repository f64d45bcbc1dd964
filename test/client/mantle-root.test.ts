import { describe, expect, it } from "vitest";
import { mantleRoot, mantleRouteOf } from "../../client/src/mantle-root.js";

describe("mantleRoot(url) is a base URL without trailing slashes and without the Mantle route it ends in", () => {
  it.each<[string, string]>([
    ["https://bedrock-mantle.us-east-1.api.aws/v1", "https://bedrock-mantle.us-east-1.api.aws"],
    ["https://bedrock-mantle.us-east-1.api.aws/v1/", "https://bedrock-mantle.us-east-1.api.aws"],
    ["https://bedrock-mantle.us-east-1.api.aws/openai/v1", "https://bedrock-mantle.us-east-1.api.aws"],
    ["https://bedrock-mantle.us-east-1.api.aws/anthropic", "https://bedrock-mantle.us-east-1.api.aws"],
    ["https://bedrock-mantle.us-east-1.api.aws", "https://bedrock-mantle.us-east-1.api.aws"],
    ["https://bedrock-mantle.us-east-1.api.aws///", "https://bedrock-mantle.us-east-1.api.aws"],
    // The emulator serves each region below a path of its own.
    ["http://127.0.0.1:9/us-east-1/v1", "http://127.0.0.1:9/us-east-1"],
    ["http://127.0.0.1:8788/v1", "http://127.0.0.1:8788"],
    // Only a whole route counts: /xv1 is not /v1.
    ["http://127.0.0.1:9/xv1", "http://127.0.0.1:9/xv1"],
  ])("%s → %s", (url, root) => {
    expect(mantleRoot(url)).toBe(root);
  });
});

describe("mantleRouteOf(url) is the Mantle route a base URL ends in", () => {
  it.each<[string, string | undefined]>([
    ["https://h/v1", "/v1"],
    ["https://h/openai/v1", "/openai/v1"],
    ["https://h/openai/v1/", "/openai/v1"],
    ["https://h/anthropic", "/anthropic"],
    ["https://h", undefined],
    ["https://h/v2", undefined],
    ["https://h/xv1", undefined],
  ])("%s → %s", (url, route) => {
    expect(mantleRouteOf(url)).toBe(route);
  });
});
