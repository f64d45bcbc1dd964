import { describe, expect, it } from "vitest";
import { keyDigest, listenerHosts } from "../../../../client/src/proxy/guard.js";
import { refusal, type Guard } from "../../../../client/src/proxy/steps/refusal.js";
import { incoming } from "../../../support/incoming.js";

const hosts = new Set(["127.0.0.1:8788", "localhost:8788", "[::1]:8788"]);
const open: Guard = { hosts, key: undefined };
const keyed: Guard = { hosts, key: keyDigest("mvp_secret") };
const local = { host: "127.0.0.1:8788" };

describe("a request from a local, non-browser caller goes on", () => {
  it("no answer of the proxy's own", () => {
    expect(refusal(incoming({ method: "POST", url: "/v1/chat/completions", headers: { ...local, "sec-fetch-site": "none" } }), open)).toBeUndefined();
  });
});

describe("what the proxy refuses, with the status and error it answers", () => {
  it.each<[string, Parameters<typeof incoming>[0], number, string]>([
    ["an absolute-form target", { url: "http://evil.example/v1/models", headers: local }, 400, "bad_request"],
    ["a Host that is not the listener (DNS rebinding)", { headers: { host: "evil.example:8788" } }, 403, "forbidden"],
    ["no Host at all", {}, 403, "forbidden"],
    ["an Origin header (a web page)", { headers: { ...local, origin: "https://evil.example" } }, 403, "forbidden"],
    ["a cross-site Sec-Fetch-Site", { headers: { ...local, "sec-fetch-site": "cross-site" } }, 403, "forbidden"],
  ])("%s → %i %s", (_what, init, status, code) => {
    const answer = refusal(incoming(init), open);
    expect(answer).toMatchObject({ kind: "answer", status });
    expect(JSON.parse(answer?.body ?? "{}")).toMatchObject({ error: { code, type: "mantle_vend_proxy_error" } });
  });
});

describe("OPTIONS is answered by the proxy, 204 and empty, before any key is asked for", () => {
  it("with or without a required key", () => {
    for (const guard of [open, keyed]) expect(refusal(incoming({ method: "OPTIONS", url: "/v1/models", headers: local }), guard)).toEqual({ kind: "answer", status: 204, body: "" });
  });
});

describe("with a key, the caller must present it as a bearer token or x-api-key", () => {
  it("missing or wrong: 401 asking for Bearer; right in either header: goes on", () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: "Bearer mvp_wrong" }, { "x-api-key": "mvp_secret2" }];
    for (const headers of attempts) {
      expect(refusal(incoming({ headers: { ...local, ...headers } }), keyed)).toMatchObject({ status: 401, headers: { "www-authenticate": "Bearer" } });
    }
    expect(refusal(incoming({ headers: { ...local, authorization: "Bearer mvp_secret" } }), keyed)).toBeUndefined();
    expect(refusal(incoming({ headers: { ...local, "x-api-key": "mvp_secret" } }), keyed)).toBeUndefined();
  });
});

describe("the Host names of a listener carry its port; a bare name only for port 80, where browsers leave it out", () => {
  it("a listener on 8788: no name without the port", () => {
    const names = listenerHosts({ address: "127.0.0.1", family: "IPv4", port: 8788 }, "127.0.0.1");
    expect([...names].sort()).toEqual(["127.0.0.1:8788", "[::1]:8788", "localhost:8788"]);
  });

  it("a listener on 80: each name with and without the port", () => {
    const names = listenerHosts({ address: "::1", family: "IPv6", port: 80 }, "::1");
    expect([...names].sort()).toEqual(["127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:80", "localhost", "localhost:80"]);
  });
});
