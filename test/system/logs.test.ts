import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DependencyUnavailableError } from "../../lambda/errors.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/mantle-emulator.js";
import { functionUrlEvent } from "../support/events.js";
import { startFixture } from "../support/fixture.js";
import { ssmStore } from "../support/ssm.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { keySecret } from "../support/api-keys.js";

const captured: string[] = [];
const secrets: { label: string; value: string }[] = [];
const tokens: string[] = [];
/** The identity tokens (JWTs) the run presented, accepted and refused. */
const jwts: string[] = [];

function capture(): () => void {
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }),
  );
  return () => spies.forEach((spy) => spy.mockRestore());
}

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  const restore = capture();
  let credentialsFail = false;
  const issuer = await TestIssuer.start();
  const fixture = await startFixture({
    ssm: true,
    service: ({ ssm }) => ({
      env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1" },
      store: ssm && ssmStore(ssm),
      pollIntervalMs: 60_000,
      credentials: async () => {
        if (credentialsFail) throw new DependencyUnavailableError("no credentials");
        return EMULATOR_CREDENTIALS;
      },
    }),
  });
  const { ssm, service } = fixture;
  try {
    const { key } = await service.createKey({ name: "logged-key" });
    const secret = keySecret(key);
    const digest = createHash("sha256").update(key).digest();
    secrets.push(
      { label: "api key", value: key },
      { label: "key secret", value: secret },
      { label: "key hash (hex)", value: digest.toString("hex") },
      { label: "key hash (base64)", value: digest.toString("base64") },
      { label: "key hash (base64url)", value: digest.toString("base64url") },
    );
    const send = async (init: Parameters<typeof functionUrlEvent>[0]) => {
      const result = await service.api(functionUrlEvent(init));
      await service.settle();
      return result;
    };
    for (const body of [undefined, '{"region":"us-west-2","ttlSeconds":120}']) {
      const minted = await send({ method: "POST", path: "/v1/tokens", key, body });
      expect(minted.statusCode).toBe(200);
      tokens.push(JSON.parse(minted.body).token as string);
    }
    await service.identities.add("ci", { record: { issuer: issuer.url, audiences: ["mantle-vend"], subject: "repo:{repository}" }, grant: {} });
    service.clock.advanceSeconds(61);
    await send({ path: "/v1/regions", key }); // starts the poll that loads the policy
    const claims = { aud: "mantle-vend", sub: "s", repository: "acme/logged" };
    jwts.push(await issuer.sign(claims, { now: Math.floor(service.clock.now() / 1000) }));
    expect((await send({ method: "POST", path: "/v1/tokens", headers: { authorization: `Bearer ${jwts[0]}` } })).statusCode).toBe(200);
    jwts.push(await issuer.sign({ ...claims, aud: "other" }, { now: Math.floor(service.clock.now() / 1000) }));
    expect((await send({ path: "/v1/whoami", headers: { authorization: `Bearer ${jwts[1]}` } })).statusCode).toBe(403);
    jwts.push(await issuer.sign(claims, { now: Math.floor(service.clock.now() / 1000) - 7200 }));
    expect((await send({ path: "/v1/whoami", headers: { authorization: `Bearer ${jwts[2]}` } })).statusCode).toBe(401);
    await send({ path: "/v1/regions", key: key.slice(0, -2) + "xx" }); // wrong secret
    await send({ path: "/v1/regions", headers: { authorization: key } }); // no Bearer scheme
    await send({ method: "POST", path: "/v1/tokens", key, body: `{"region":"${key}"}` }); // key in a bad body
    await send({ method: "POST", path: "/v1/tokens", key, body: `{${key}` }); // key in malformed JSON
    credentialsFail = true;
    await send({ method: "POST", path: "/v1/tokens", key }); // 503
    ssm.inject({ kind: "5xx" });
    service.clock.advanceSeconds(61);
    await send({ method: "POST", path: "/v1/tokens", key }); // failed poll
    service.clock.advanceSeconds(900);
    await send({ method: "POST", path: "/v1/tokens", key }); // fail closed
  } finally {
    restore();
    await fixture.close();
    await issuer.close();
    delete process.env.POWERTOOLS_LOG_LEVEL;
  }
});

afterAll(() => vi.restoreAllMocks());

describe("logs never hold a token, a key, its secret or its hash", () => {
  it("captured the run's log output at DEBUG level, through success and error paths", () => {
    const lines = captured.join("").split("\n").filter((line) => line.startsWith("{"));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((r) => r.level === "DEBUG")).toBe(true);
    expect(records.some((r) => r.message === "request" && r.status === 200 && r.keyName === "logged-key")).toBe(true);
    expect(records.some((r) => r.message === "request" && r.status === 401)).toBe(true);
    expect(records.some((r) => r.message === "request" && r.status === 503)).toBe(true);
    expect(records.some((r) => r.level === "WARN")).toBe(true);
  });

  it("an identity's request line names its policy and subject (principal identity:<policy>:<subject>)", () => {
    const records = captured.join("").split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ message: "request", status: 200, policy: "ci", subject: "repo:acme/logged", principal: "identity:ci:repo:acme/logged" }));
  });

  it("contains no identity token (JWT), nor its signature, of an accepted or a refused request", () => {
    const output = captured.join("");
    expect(jwts).toHaveLength(3);
    for (const jwt of jwts) {
      expect(output.includes(jwt)).toBe(false);
      expect(output.includes(jwt.split(".")[2] as string)).toBe(false);
    }
  });

  it("contains no api key, key secret or key hash in any encoding", () => {
    const output = captured.join("");
    for (const { label, value } of secrets) expect(output.includes(value), label).toBe(false);
  });

  it("contains no token and no X-Amz-Signature value", () => {
    const output = captured.join("");
    expect(tokens).toHaveLength(2);
    for (const token of tokens) {
      expect(output.includes(token)).toBe(false);
      expect(output.includes(token.slice(16, 80))).toBe(false);
      const url = Buffer.from(token.slice("bedrock-api-key-".length), "base64").toString("utf8");
      const signature = new URLSearchParams(url.slice(url.indexOf("?") + 1)).get("X-Amz-Signature");
      expect(signature).toMatch(/^[0-9a-f]{64}$/);
      expect(output.includes(signature as string)).toBe(false);
    }
    expect(output).not.toMatch(/bedrock-api-key-/);
  });
});
