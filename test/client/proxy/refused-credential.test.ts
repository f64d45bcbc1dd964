/**
 * When the service refuses the proxy's own credential (a revoked, expired or wrong key, an expired
 * login), every caller gets a 401 that names the likely causes, and the log says it once a minute, not
 * once a request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { LogThrottle } from "../../../client/src/proxy/log-throttle.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { useFixture } from "../../support/fixture.js";

const fixture = useFixture({ service: true });
const logged: string[] = [];
let proxy: RunningProxy;

beforeAll(async () => {
  const url = await fixture.service.listen();
  const { key, keyId } = await fixture.service.createKey();
  await fixture.service.admin.revoke(keyId);
  proxy = await startProxy({ client: new MantleVendClient({ url, apiKey: key, region: "us-east-1", maxRetries: 0 }), port: 0, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await proxy?.close();
});

const CAUSES = "the mantle-vend service refused the proxy's credential (401): the API key was revoked, has expired or is wrong, or the login expired (mantle-vend login)";

describe("a credential the service refuses", () => {
  it("each request gets 401 naming the likely causes; the log has one line for all of them", async () => {
    const requests = [
      { path: "/v1/chat/completions", body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }) },
      { path: "/v1/chat/completions", body: JSON.stringify({ model: "deepseek.v3.2", messages: [{ role: "user", content: "hi" }] }) },
      { path: "/anthropic/v1/messages", body: JSON.stringify({ model: "anthropic.claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }) },
      { path: "/v1/chat/completions", body: "{}" },
      { path: "/v1/chat/completions", body: "{}" },
    ];
    for (const { path, body } of requests) {
      const answer = await fetch(`${proxy.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toBe("Bearer");
      expect(((await answer.json()) as { error: { message: string } }).error.message).toBe(CAUSES);
    }
    expect(logged).toEqual([`proxy: ${CAUSES}`]);
  });
});

describe("the proxy's log throttle", () => {
  it("a repeated line is written once per minute, then with how often it recurred; other lines are not held back", () => {
    let now = 0;
    const written: string[] = [];
    const { log } = new LogThrottle((line) => written.push(line), () => now);
    for (let i = 0; i < 10; i++) log("proxy: the same failure");
    log("proxy: another failure");
    now += 59_999;
    log("proxy: the same failure");
    now += 1;
    log("proxy: the same failure");
    expect(written).toEqual(["proxy: the same failure", "proxy: another failure", "proxy: the same failure (10 more since it was last logged)"]);
  });
});
