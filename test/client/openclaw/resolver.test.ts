import { describe, expect, it } from "vitest";
import { resolveSecrets } from "../../../client/src/openclaw/resolver.js";
import { parseTokenResponse } from "../../../client/src/responses.js";
import { fakeTokenAnswer } from "../../support/client-support.js";

describe("every id OpenClaw asks for gets its own answer: __proto__ and constructor are ids like any other", () => {
  it("each is NOT_FOUND under its own key, no prototype is set, and real regions still resolve", async () => {
    const answer = await resolveSecrets({ protocolVersion: 1, provider: "mantle-vend", ids: ["__proto__", "constructor", "prototype", "us-east-1"] }, async (region) =>
      parseTokenResponse({ ...fakeTokenAnswer(region ?? "us-east-1"), token: "bedrock-api-key-x" }),
    );
    expect(Object.getPrototypeOf(answer.errors)).toBe(Object.prototype);
    expect(Object.keys(answer.errors ?? {}).sort()).toEqual(["__proto__", "constructor", "prototype"]);
    for (const id of ["__proto__", "constructor", "prototype"]) expect(Object.getOwnPropertyDescriptor(answer.errors, id)?.value).toMatchObject({ code: "NOT_FOUND" });
    expect(answer.values).toEqual({ "us-east-1": "bedrock-api-key-x" });
    // What OpenClaw reads: the line the resolver prints, parsed.
    const printed = JSON.parse(JSON.stringify(answer)) as { errors: object };
    expect(Object.getOwnPropertyDescriptor(printed.errors, "__proto__")?.value).toMatchObject({ code: "NOT_FOUND" });
  });

  it("an id with control characters is named quoted, on one line", async () => {
    const answer = await resolveSecrets({ protocolVersion: 1, provider: "mantle-vend", ids: ["a\nb\u001b[2J"] }, async () => Promise.reject(new Error("not asked")));
    expect(answer.errors?.["a\nb\u001b[2J"]?.message).toBe('"a\\nb\\u001b[2J" is not a region (ids are regions such as us-east-1, or "default")');
  });
});
