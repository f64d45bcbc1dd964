import { Agent as HttpAgent, createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { heldBody, peekBody } from "../../../../client/src/proxy/body.js";
import type { Credential } from "../../../../client/src/proxy/steps/credential.js";
import { upstreamOf } from "../../../../client/src/proxy/upstream.js";
import { send, type Sent } from "../../../../client/src/proxy/steps/send.js";
import { parseTokenResponse } from "../../../../client/src/responses.js";
import { fakeTokenAnswer, startStub, type Stub } from "../../../support/client-support.js";
import { REFUSED_PORT } from "../../../support/ports.js";

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
let upstream: Stub;
let front: Server | undefined;
/** How the upstream stub answers the next request. */
let reply: { status: number; headers: Record<string, string>; body: string } = { status: 200, headers: {}, body: "" };

beforeAll(async () => {
  upstream = await startStub((_req, res) => {
    res.writeHead(reply.status, { "content-length": String(Buffer.byteLength(reply.body)), ...reply.headers });
    res.end(reply.body);
  });
});
afterAll(async () => {
  await upstream.close();
  agents.http.destroy();
});
afterEach(async () => {
  upstream.requests.length = 0;
  front?.closeAllConnections();
  await new Promise<void>((done) => (front === undefined ? done() : front.close(() => done())));
  front = undefined;
});

const credentialFor = (baseUrl: string): Credential => {
  const token = parseTokenResponse({ ...fakeTokenAnswer("us-east-1"), baseUrl });
  return { kind: "credential", token, upstream: upstreamOf(token) };
};

/**
 * A caller's request through a server whose handler runs send() once (to `routedPath`, the body held
 * whole or streamed); what the handler got, and what the caller got. An attempt that left the caller
 * unanswered is answered 299 by the handler.
 */
async function through(
  init: { method?: string; path?: string; routedPath?: string; headers?: Record<string, string>; body?: string; hold: boolean; holdUnauthorized?: boolean },
  credential: Credential,
): Promise<{ sent: Sent; status: number; headers: IncomingHttpHeaders; body: string }> {
  let sent: Sent | undefined;
  front = createServer((req, res) => {
    void (async () => {
      const peeked = init.hold ? await peekBody(req, 1024 * 1024) : undefined;
      const forwarding = { kind: "forward" as const, path: init.routedPath ?? req.url ?? "/", ...(peeked === undefined ? {} : { peeked }) };
      sent = await send({ req, res, forwarding, held: heldBody(req, peeked), credential, holdUnauthorized: init.holdUnauthorized ?? true }, { agents, log: () => undefined });
      if (sent.kind === "unauthorized" || sent.kind === "unreachable") {
        req.resume();
        res.writeHead(299).end(sent.kind);
      }
    })();
  });
  await new Promise<void>((done) => front!.listen(0, "127.0.0.1", done));
  const port = (front.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const req = request({ port, method: init.method ?? "POST", path: init.path ?? "/v1/chat/completions", headers: init.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ sent: sent!, status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("an attempt goes to the credential's Mantle root, on the routed path, with the token instead of the caller's credentials", () => {
  it("host, path below the root's own, Authorization; the caller's x-api-key and hop-by-hop headers dropped", async () => {
    reply = { status: 200, headers: { "content-type": "application/json", "x-request-id": "r1" }, body: '{"ok":true}' };
    const got = await through(
      { path: "/v1/responses", routedPath: "/openai/v1/responses", headers: { "x-api-key": "caller", connection: "x-hop", "x-hop": "1", "x-kept": "1" }, body: '{"model":"m"}', hold: true },
      credentialFor(`${upstream.url}/us-east-1/v1`),
    );
    expect(got).toMatchObject({ sent: { kind: "answered", status: 200 }, status: 200, body: '{"ok":true}' });
    expect(got.headers["x-request-id"]).toBe("r1");
    const seen = upstream.requests[0]!;
    expect(seen).toMatchObject({ url: "/us-east-1/openai/v1/responses", body: '{"model":"m"}' });
    expect(seen.headers).toMatchObject({ host: new URL(upstream.url).host, authorization: expect.stringMatching(/^Bearer bedrock-api-key-/), "x-kept": "1" });
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(seen.headers["x-hop"]).toBeUndefined();
  });

  it("a body the proxy does not hold streams on, the bytes routing read first", async () => {
    reply = { status: 200, headers: {}, body: "" };
    const body = "x".repeat(200_000);
    await through({ path: "/v1/files", body, hold: false }, credentialFor(`${upstream.url}/v1`));
    expect(upstream.requests[0]?.body).toBe(body);
  });
});

describe("a 401 is held back only when the request may go again", () => {
  it("held whole and asked to: unauthorized, the caller not answered yet", async () => {
    reply = { status: 401, headers: {}, body: '{"message":"expired"}' };
    const got = await through({ method: "GET", path: "/v1/models", hold: true }, credentialFor(`${upstream.url}/v1`));
    expect(got).toMatchObject({ sent: { kind: "unauthorized" }, status: 299 });
  });

  it("a streamed body, or a second attempt: the 401 passes to the caller", async () => {
    reply = { status: 401, headers: {}, body: '{"message":"expired"}' };
    expect(await through({ path: "/v1/files", body: "data", hold: false }, credentialFor(`${upstream.url}/v1`))).toMatchObject({ sent: { kind: "answered", status: 401 }, status: 401, body: '{"message":"expired"}' });
    expect(await through({ method: "GET", path: "/v1/models", hold: true, holdUnauthorized: false }, credentialFor(`${upstream.url}/v1`))).toMatchObject({ sent: { kind: "answered", status: 401 }, status: 401 });
  });
});

describe("a root that refuses the connection is unreachable, with the body unread", () => {
  it("nothing was sent upstream and the caller is not answered yet", async () => {
    const got = await through({ body: '{"model":"m"}', hold: false }, credentialFor(`http://127.0.0.1:${REFUSED_PORT}/v1`));
    expect(got).toMatchObject({ sent: { kind: "unreachable" }, status: 299, body: "unreachable" });
  });
});
