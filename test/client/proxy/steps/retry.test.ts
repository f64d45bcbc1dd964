import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import type { ProxyAnswer } from "../../../../client/src/proxy/answer.js";
import type { Credential } from "../../../../client/src/proxy/steps/credential.js";
import { upstreamOf } from "../../../../client/src/proxy/upstream.js";
import { retry, type Retrying } from "../../../../client/src/proxy/steps/retry.js";
import type { Sent } from "../../../../client/src/proxy/steps/send.js";
import { parseTokenResponse } from "../../../../client/src/responses.js";
import { fakeTokenAnswer } from "../../../support/client-support.js";
import { incoming } from "../../../support/incoming.js";

const credentialOf = (tokenText: string, host = "bedrock-mantle.us-east-1.api.aws"): Credential => {
  const token = parseTokenResponse({ ...fakeTokenAnswer("us-east-1"), token: tokenText, baseUrl: `https://${host}/v1` });
  return { kind: "credential", token, upstream: upstreamOf(token) };
};
const first = credentialOf("bedrock-api-key-first");
const fresh = credentialOf("bedrock-api-key-fresh", "fresh.example");

/** Fakes for what retry() calls, recording every call in order. */
function recorder(next: { credential?: Credential | ProxyAnswer; sent?: Sent } = {}): Retrying & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    credential: async () => {
      calls.push("credential");
      return next.credential ?? fresh;
    },
    send: async (c, hold) => {
      calls.push(`send ${c.token.token} hold=${hold}`);
      return next.sent ?? { kind: "answered", status: 200 };
    },
    drop: async (region) => {
      calls.push(`drop ${region}`);
    },
    answer: (reply) => {
      calls.push(`answer ${reply.status} ${reply.body}`);
    },
    pass: (answer: IncomingMessage, body: Buffer) => {
      calls.push(`pass ${answer.statusCode} ${body.toString()}`);
    },
  };
}
const mantle401 = (): IncomingMessage => incoming({ statusCode: 401, body: '{"message":"expired"}' });

describe("an answered attempt is not retried", () => {
  it("200: nothing more; 401 passed to the caller: the token is dropped for the next request", async () => {
    const ok = recorder();
    await retry({ kind: "answered", status: 200 }, first, ok);
    expect(ok.calls).toEqual([]);
    const refused = recorder();
    await retry({ kind: "answered", status: 401 }, first, refused);
    expect(refused.calls).toEqual(["drop us-east-1"]);
    const broken = recorder();
    await retry({ kind: "failed" }, first, broken);
    expect(broken.calls).toEqual([]);
  });
});

describe("a held-back 401 goes again once, with a new token, and the caller never sees it", () => {
  it("drop, a fresh credential, one more attempt that may not hold a 401 back", async () => {
    const r = recorder();
    await retry({ kind: "unauthorized", answer: mantle401() }, first, r);
    expect(r.calls).toEqual(["drop us-east-1", "credential", "send bedrock-api-key-fresh hold=false"]);
  });

  it("the service hands back the same token: Mantle's 401 is passed on as it was", async () => {
    const r = recorder({ credential: first });
    await retry({ kind: "unauthorized", answer: mantle401() }, first, r);
    expect(r.calls).toEqual(["drop us-east-1", "credential", 'pass 401 {"message":"expired"}']);
  });

  it("no token at all: the proxy's answer for that", async () => {
    const none: ProxyAnswer = { kind: "answer", status: 503, body: "no token" };
    const r = recorder({ credential: none });
    await retry({ kind: "unauthorized", answer: mantle401() }, first, r);
    expect(r.calls).toEqual(["drop us-east-1", "credential", "answer 503 no token"]);
  });
});

describe("an unreachable root: the token is dropped and the request tried once more, else 502", () => {
  it("the fresh token's root answers", async () => {
    const r = recorder();
    await retry({ kind: "unreachable" }, first, r);
    expect(r.calls).toEqual(["drop us-east-1", "credential", "send bedrock-api-key-fresh hold=false"]);
  });

  it("the fresh token's root refuses too: 502 naming it, after exactly one retry", async () => {
    const r = recorder({ sent: { kind: "unreachable" } });
    await retry({ kind: "unreachable" }, first, r);
    expect(r.calls).toHaveLength(4);
    expect(r.calls[3]).toMatch(/^answer 502 .*cannot reach Mantle at fresh\.example/);
  });

  it("the retry's 401 goes to the caller and drops that token too", async () => {
    const r = recorder({ sent: { kind: "answered", status: 401 } });
    await retry({ kind: "unreachable" }, first, r);
    expect(r.calls).toEqual(["drop us-east-1", "credential", "send bedrock-api-key-fresh hold=false", "drop us-east-1"]);
  });
});
