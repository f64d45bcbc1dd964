import { describe, expect, it, vi } from "vitest";
import { MantleVendError } from "../../../../client/src/errors.js";
import { credential, type CredentialSource } from "../../../../client/src/proxy/steps/credential.js";
import { upstreamOf } from "../../../../client/src/proxy/upstream.js";
import type { TokenResponse } from "../../../../client/src/types.js";
import { fakeTokenAnswer } from "../../../support/client-support.js";
import { parseTokenResponse } from "../../../../client/src/responses.js";

const token = (baseUrl = "https://bedrock-mantle.us-east-1.api.aws/v1"): TokenResponse => parseTokenResponse({ ...fakeTokenAnswer("us-east-1"), baseUrl });
const source = (init: Partial<CredentialSource>): CredentialSource => ({ token: async () => token(), rootRefusal: async () => undefined, ...init });
const bodyOf = (answer: Awaited<ReturnType<typeof credential>>): unknown => JSON.parse(answer.kind === "answer" ? answer.body : "{}");

describe("a token whose Mantle root the service lists is the credential, with where it goes", () => {
  it("https root: secure, its host, no path of its own", async () => {
    const got = await credential(source({}), () => undefined);
    expect(got).toMatchObject({ kind: "credential", upstream: { secure: true, hostname: "bedrock-mantle.us-east-1.api.aws", port: undefined, host: "bedrock-mantle.us-east-1.api.aws", pathPrefix: "" } });
  });

  it("a loopback root below a path (the emulator), IPv6 literal unbracketed for the connection", () => {
    expect(upstreamOf(token("http://[::1]:8790/us-east-1/v1"))).toEqual({ secure: false, hostname: "::1", port: 8790, host: "[::1]:8790", pathPrefix: "/us-east-1" });
  });

  it("is parsed once per token object", () => {
    const t = token();
    expect(upstreamOf(t)).toBe(upstreamOf(t));
  });
});

describe("when there is no credential the request gets the proxy's own answer and the log one line", () => {
  it("a rejected key: 401 token_unavailable; any other failure: 503", async () => {
    const log = vi.fn();
    const rejected = await credential(source({ token: async () => Promise.reject(new MantleVendError({ status: 401, code: "unauthorized", message: "bad key" })) }), log);
    expect(rejected).toMatchObject({ kind: "answer", status: 401 });
    expect(bodyOf(rejected)).toMatchObject({ error: { code: "token_unavailable" } });
    const down = await credential(source({ token: async () => Promise.reject(new MantleVendError({ status: 0, code: "network_error", message: "refused" })) }), log);
    expect(down).toMatchObject({ kind: "answer", status: 503 });
    expect(log).toHaveBeenCalledTimes(2);
  });

  it("no region list to check the root against: 503; a root the list does not name: 502 upstream_not_allowed", async () => {
    expect(await credential(source({ rootRefusal: async () => Promise.reject(new Error("no regions")) }), () => undefined)).toMatchObject({ status: 503 });
    const refused = await credential(source({ rootRefusal: async () => "refusing to send a token to https://elsewhere" }), () => undefined);
    expect(refused).toMatchObject({ status: 502 });
    expect(bodyOf(refused)).toMatchObject({ error: { code: "upstream_not_allowed", message: "refusing to send a token to https://elsewhere" } });
  });
});
