import { describe, expect, it } from "vitest";
import { bearerCredential } from "../../lambda/http/requests.js";
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
