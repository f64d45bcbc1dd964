import { describe, expect, it } from "vitest";
import { AllowedMantleRoots, allowedBaseUrls, mantleRootRefusal } from "../../../client/src/proxy/allowed-roots.js";

describe("a token goes only to a root the allowlist names, over https unless it is loopback", () => {
  it("plain http is refused unless the root is loopback (offline mode keeps working)", () => {
    const allowed = allowedBaseUrls(["http://gateway.invalid/us-east-1/v1", "https://bedrock-mantle.us-east-1.api.aws/v1", "http://127.0.0.1:9/us-east-1/v1", "http://[::1]:9/x/v1", "http://localhost:9/v1"]);
    expect(mantleRootRefusal("http://gateway.invalid/us-east-1/v1", allowed)).toMatch(/https/);
    expect(mantleRootRefusal("https://bedrock-mantle.us-east-1.api.aws/v1", allowed)).toBeUndefined();
    expect(mantleRootRefusal("https://bedrock-mantle.us-east-1.api.aws/v1/", allowed)).toBeUndefined();
    expect(mantleRootRefusal("https://BEDROCK-MANTLE.us-east-1.api.aws:443/v1", allowed)).toBeUndefined();
    expect(mantleRootRefusal("https://bedrock-mantle.us-west-2.api.aws/v1", allowed)).toMatch(/allowlist/);
    expect(mantleRootRefusal("http://127.0.0.1:9/us-east-1/v1", allowed)).toBeUndefined();
    expect(mantleRootRefusal("http://[::1]:9/x/v1", allowed)).toBeUndefined();
    expect(mantleRootRefusal("http://localhost:9/v1", allowed)).toBeUndefined();
    expect(mantleRootRefusal("not a url", allowed)).toMatch(/not a URL/);
  });
});

/** A region list whose base URLs count how often they are read. */
function countingRegions(baseUrls: string[]): { regions: () => Promise<{ regions: Array<{ baseUrl: string }> }>; reads: () => number; loads: () => number } {
  let reads = 0;
  let loads = 0;
  const entries = baseUrls.map((url) => ({
    get baseUrl(): string {
      reads++;
      return url;
    },
  }));
  return {
    regions: async () => {
      loads++;
      return { regions: entries };
    },
    reads: () => reads,
    loads: () => loads,
  };
}

describe("the region list is read once and canonicalised once per load, not once per request", () => {
  it("1,000 checks of allowed roots, one after the other: one load, each base URL read once", async () => {
    const list = countingRegions(["https://bedrock-mantle.us-east-1.api.aws/v1", "https://bedrock-mantle.eu-west-1.api.aws/v1"]);
    const roots = new AllowedMantleRoots(list.regions, () => 0);
    for (let i = 0; i < 1_000; i++) {
      expect(await roots.refusal(`https://bedrock-mantle.${i % 2 === 0 ? "us-east-1" : "eu-west-1"}.api.aws/v1`)).toBeUndefined();
    }
    expect(list.loads()).toBe(1);
    expect(list.reads()).toBe(2);
  });

  it("a miss asks again at most once a minute; a root added meanwhile is then allowed", async () => {
    let now = 0;
    const urls = ["https://bedrock-mantle.us-east-1.api.aws/v1"];
    const roots = new AllowedMantleRoots(async () => ({ regions: urls.map((baseUrl) => ({ baseUrl })) }), () => now);
    const west = "https://bedrock-mantle.us-west-2.api.aws/v1";
    expect(await roots.refusal(west)).toMatch(/allowlist/);
    urls.push(west);
    now = 30_000;
    expect(await roots.refusal(west)).toMatch(/allowlist/); // within the minute: not asked again
    now = 61_000;
    expect(await roots.refusal(west)).toBeUndefined();
  });
});

describe("a failed region-list load is remembered for a minute: one attempt per minute, not one per request", () => {
  it("with no list held: the failure is thrown again at once, without asking, until the minute is over", async () => {
    let now = 0;
    let loads = 0;
    let up = false;
    const roots = new AllowedMantleRoots(async () => {
      loads++;
      if (!up) throw new Error("the service did not answer");
      return { regions: [{ baseUrl: "https://bedrock-mantle.us-east-1.api.aws/v1" }] };
    }, () => now);
    await roots.warm(); // the start-up load fails quietly, and is remembered
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      await expect(roots.refusal("https://bedrock-mantle.us-east-1.api.aws/v1")).rejects.toThrow(/did not answer/);
    }
    expect(loads).toBe(1);
    up = true;
    now += 10_000;
    expect(await roots.refusal("https://bedrock-mantle.us-east-1.api.aws/v1")).toBeUndefined();
    expect(loads).toBe(2);
  });

  it("with a list held: a miss whose re-ask fails is decided by the list held", async () => {
    let now = 0;
    let up = true;
    const roots = new AllowedMantleRoots(async () => {
      if (!up) throw new Error("the service did not answer");
      return { regions: [{ baseUrl: "https://bedrock-mantle.us-east-1.api.aws/v1" }] };
    }, () => now);
    await roots.warm();
    up = false;
    now = 61_000;
    expect(await roots.refusal("https://bedrock-mantle.us-west-2.api.aws/v1")).toMatch(/allowlist/);
    expect(await roots.refusal("https://bedrock-mantle.us-east-1.api.aws/v1")).toBeUndefined();
  });
});
