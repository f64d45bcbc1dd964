import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { answer, errorAnswer, pass } from "../../../client/src/proxy/answer.js";
import { incoming } from "../../support/incoming.js";

/** Runs `write` on a real response and returns what a caller received, and whether headers were flushed early. */
async function written(write: (res: ServerResponse) => void): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; flushedEarly: boolean }> {
  let flushedEarly = false;
  const server = createServer((_req, res) => {
    const flush = vi.spyOn(res, "flushHeaders");
    write(res);
    flushedEarly = flush.mock.calls.length > 0;
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  try {
    return await new Promise((resolve, reject) => {
      request({ port: (server.address() as AddressInfo).port }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, flushedEarly }));
      })
        .on("error", reject)
        .end();
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe("Mantle's answer passes through; headers are flushed early only for a stream", () => {
  it("JSON: status, headers and body, the headers leaving with the body", async () => {
    const upstream = incoming({ statusCode: 200, headers: { "Content-Type": "application/json", "X-Request-Id": "r1", Connection: "keep-alive" }, body: '{"ok":1}' });
    const got = await written((res) => pass(res, upstream));
    expect(got).toMatchObject({ status: 200, body: '{"ok":1}', flushedEarly: false, headers: { "content-type": "application/json", "x-request-id": "r1" } });
  });

  it("SSE: the headers go at once, before the first event", async () => {
    const upstream = incoming({ statusCode: 200, headers: { "Content-Type": "Text/Event-Stream; charset=utf-8" }, body: "data: 1\n\n" });
    expect(await written((res) => pass(res, upstream))).toMatchObject({ status: 200, body: "data: 1\n\n", flushedEarly: true });
  });

  it("a body already read is written as given", async () => {
    const upstream = incoming({ statusCode: 401, headers: { "content-type": "application/json" } });
    expect(await written((res) => pass(res, upstream, Buffer.from('{"message":"expired"}')))).toMatchObject({ status: 401, body: '{"message":"expired"}' });
  });
});

describe("the proxy's own answers", () => {
  it("an OpenAI-shaped error with a JSON content type and length, scrubbed of tokens", async () => {
    const reply = errorAnswer(503, "token_unavailable", "no token: bedrock-api-key-c2VjcmV0", { "retry-after": "1" });
    const got = await written((res) => answer(incoming(), res, reply));
    expect(got).toMatchObject({ status: 503, headers: { "content-type": "application/json; charset=utf-8", "retry-after": "1", "content-length": String(got.body.length) } });
    expect(JSON.parse(got.body)).toEqual({ error: { code: "token_unavailable", type: "mantle_vend_proxy_error", message: "no token: bedrock-api-key-[redacted]" } });
  });

  it("an empty answer (OPTIONS) has no content type", async () => {
    const got = await written((res) => answer(incoming({ method: "OPTIONS" }), res, { kind: "answer", status: 204, body: "" }));
    expect(got.status).toBe(204);
    expect(got.headers["content-type"]).toBeUndefined();
  });
});
