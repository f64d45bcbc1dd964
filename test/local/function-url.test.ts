// The local server hands the handler what a Lambda function URL would: the raw path, no
// normalisation, duplicate headers joined with "," (payload format 2.0), and no absolute-form
// request targets. Requests are written byte for byte on a socket: fetch would normalise them.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type TestService } from "../support/service.js";

let service: TestService;
let port: number;
let key: string;

beforeAll(async () => {
  service = await startService();
  port = Number(new URL(await service.listen()).port);
  key = (await service.createKey()).key;
});

afterAll(async () => {
  await service.close();
});

/** Sends one raw HTTP/1.1 request and resolves with the status code. */
function raw(requestLine: string, headers: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.write([requestLine, `host: 127.0.0.1:${port}`, "connection: close", ...headers, "", ""].join("\r\n"));
  });
}

const lastEvent = () => service.events.at(-1);

describe("the local server passes the raw path through, as function URLs do", () => {
  it.each(["/v1/x/../tokens", "/v1/./regions", "/v1//regions", "/v1/%2e%2e/v1/regions"])("%s reaches the handler unchanged and is a 404", async (path) => {
    expect(await raw(`GET ${path} HTTP/1.1`, [`authorization: Bearer ${key}`])).toBe(404);
    expect(lastEvent()?.rawPath).toBe(path);
  });

  it("keeps the query string raw", async () => {
    expect(await raw("GET /v1/regions?a=1?b=%2F HTTP/1.1", [`authorization: Bearer ${key}`])).toBe(200);
    expect(lastEvent()?.rawQueryString).toBe("a=1?b=%2F");
  });
});

describe("the local server refuses request targets a function URL never delivers", () => {
  it.each(["GET http://rebind.invalid/v1/regions HTTP/1.1", "OPTIONS * HTTP/1.1"])("%s → 400 without calling the handler", async (line) => {
    const before = service.events.length;
    expect(await raw(line, [`authorization: Bearer ${key}`])).toBe(400);
    expect(service.events.length).toBe(before);
  });
});

describe("the local server joins duplicate headers with a comma, as payload format 2.0 does", () => {
  it("two authorization headers become one joined value, which no key matches (401)", async () => {
    expect(await raw("GET /v1/regions HTTP/1.1", [`authorization: Bearer ${key}`, "authorization: Bearer other"])).toBe(401);
    expect(lastEvent()?.headers?.authorization).toBe(`Bearer ${key},Bearer other`);
  });

  it("joins any repeated header the same way", async () => {
    expect(await raw("GET /healthz HTTP/1.1", ["x-thing: a", "x-thing: b"])).toBe(200);
    expect(lastEvent()?.headers?.["x-thing"]).toBe("a,b");
  });
});
