/**
 * The library and the CLI present an identity instead of a key, against the real service (identity
 * policies, a loopback issuer, the Mantle emulator verifying the tokens minted): the library's `identity`
 * option as a spec and as a function, `file:` read again as its token nears expiry and after a 401, and
 * the CLI's MANTLE_VEND_IDENTITY / --identity, with no API key anywhere.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../client/src/client.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken } from "../../lambda/local/mantle-emulator.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { ManualClock } from "../support/clock.js";
import { buildClient, runCli, runProcess } from "../support/client-support.js";
import { startService, type TestService } from "../support/service.js";

const clock = new ManualClock(Date.now());
let service: TestService;
let url: string;
let ci: TestIssuer;
let other: TestIssuer;
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-identity-"));

beforeAll(async () => {
  await buildClient();
  ci = await TestIssuer.start({ now: clock.now });
  other = await TestIssuer.start({ now: clock.now });
  service = await startService({ clock, env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1", MANTLE_VEND_RATE_LIMIT_BURST: "1000" } });
  url = await service.listen();
  await service.identities.add("ci", { record: { issuer: ci.url, audiences: ["mantle-vend"], subject: "{sub}", jwksUri: ci.jwksUri }, grant: { regions: ["us-east-1"] } });
  await service.identities.add("other", { record: { issuer: other.url, audiences: ["mantle-vend"], subject: "{sub}", jwksUri: other.jwksUri }, grant: {} });
});

afterAll(async () => {
  await service?.close();
  await ci?.close();
  await other?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const accepted = async (token: string, region: string): Promise<boolean> => (await verifyBearerToken(token, { region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] })).ok;

function tokenFile(name: string, token: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `${token}\n`);
  return path;
}

describe("the library's identity option", () => {
  it("a spec (file:PATH): tokens mint for the identity's principal, with no key", async () => {
    const path = tokenFile("spec", await ci.sign({ aud: "mantle-vend", sub: "job-spec" }));
    const client = new MantleVendClient({ url, identity: `file:${path}`, maxRetries: 0 });
    const token = await client.getToken();
    expect(token.region).toBe("us-east-1");
    expect(await accepted(token.token, "us-east-1")).toBe(true);
    expect(await client.whoami()).toMatchObject({ principal: "identity:ci:job-spec", kind: "identity", name: "ci", grant: { regions: ["us-east-1"] } });
  });

  it("a function: asked once while its token has a minute left, again when under 60 s remain", async () => {
    let calls = 0;
    const client = new MantleVendClient({
      url,
      maxRetries: 0,
      now: clock.now,
      identity: async () => {
        calls += 1;
        return ci.sign({ aud: "mantle-vend", sub: `fn-${calls}` }, { lifetimeSeconds: 120 });
      },
    });
    for (let i = 0; i < 3; i += 1) await client.whoami();
    expect(calls).toBe(1);
    clock.advanceSeconds(61);
    expect((await client.whoami()).principal).toBe("identity:ci:fn-2");
    expect(calls).toBe(2);
  });

  it("a token the service refuses (401) is asked for again once, and the request succeeds with the new one", async () => {
    const tokens = [await other.sign({ aud: "mantle-vend", sub: "refused" }, { headerKid: "unknown-kid" }), await ci.sign({ aud: "mantle-vend", sub: "second" })];
    const client = new MantleVendClient({ url, maxRetries: 0, identity: async () => tokens.shift() ?? "exhausted" });
    expect((await client.whoami()).principal).toBe("identity:ci:second");
    expect(tokens).toEqual([]);
  });

  it("an error never shows the identity's token", async () => {
    const token = await ci.sign({ aud: "someone-else", sub: "x" });
    const client = new MantleVendClient({ url, maxRetries: 0, identity: async () => token });
    const error = await client.whoami().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ status: 403, code: "forbidden" });
    expect(JSON.stringify(error) + String(error)).not.toContain(token.split(".")[1]);
  });

  it("exactly one of apiKey, apiKeyFile or identity", () => {
    expect(() => new MantleVendClient({ url, apiKey: "mvk_0123456789abcdef_" + "a".repeat(43), identity: "login" })).toThrow(/one of apiKey, apiKeyFile or identity/);
    expect(() => new MantleVendClient({ url })).toThrow(/one of apiKey, apiKeyFile or identity/);
  });
});

describe("file: is read again when its token has under 60 s left, and after a 401", () => {
  it("a projected token rotated under the client is picked up as the old one nears its end", async () => {
    const path = tokenFile("rotating", await ci.sign({ aud: "mantle-vend", sub: "pod-1" }, { lifetimeSeconds: 600 }));
    const client = new MantleVendClient({ url, identity: `file:${path}`, maxRetries: 0, now: clock.now });
    expect((await client.whoami()).principal).toBe("identity:ci:pod-1");
    writeFileSync(path, await ci.sign({ aud: "mantle-vend", sub: "pod-2" }, { lifetimeSeconds: 600 }));
    expect((await client.whoami()).principal).toBe("identity:ci:pod-1");
    clock.advanceSeconds(541);
    expect((await client.whoami()).principal).toBe("identity:ci:pod-2");
  });

  it("a token the service stops accepting is replaced by the file's new one at the first 401", async () => {
    const temp = await TestIssuer.start({ now: clock.now });
    await service.identities.add("temp", { record: { issuer: temp.url, audiences: ["mantle-vend"], jwksUri: temp.jwksUri }, grant: {} });
    try {
      const path = tokenFile("after-401", await temp.sign({ aud: "mantle-vend", sub: "old" }));
      const client = new MantleVendClient({ url, identity: `file:${path}`, maxRetries: 0 });
      expect((await client.whoami()).principal).toBe("identity:temp:old");
      writeFileSync(path, await ci.sign({ aud: "mantle-vend", sub: "new" }));
      await service.identities.remove("temp");
      expect((await client.whoami()).principal).toBe("identity:ci:new");
    } finally {
      await temp.close();
    }
  });
});

describe("the CLI: MANTLE_VEND_IDENTITY or --identity instead of an API key", () => {
  const home = join(scratch, "home");
  const env = (extra: Record<string, string>): Record<string, string> => ({
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    MANTLE_VEND_URL: url,
    MANTLE_VEND_RETRIES: "0",
    ...extra,
  });

  it("token and whoami with MANTLE_VEND_IDENTITY=file:…; the token cache holds no JWT and keys on the spec", async () => {
    const jwt = await ci.sign({ aud: "mantle-vend", sub: "cli-job" });
    const path = tokenFile("cli", jwt);
    const run = await runCli(["token"], env({ MANTLE_VEND_IDENTITY: `file:${path}` }));
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(await accepted(run.stdout.trim(), "us-east-1")).toBe(true);
    const who = await runCli(["whoami"], env({ MANTLE_VEND_IDENTITY: `file:${path}` }));
    expect(JSON.parse(who.stdout)).toMatchObject({ principal: "identity:ci:cli-job", kind: "identity" });
    const cacheDir = join(home, ".cache", "mantle-vend");
    const files = readdirSync(cacheDir);
    const cached = files.map((file) => readFileSync(join(cacheDir, file), "utf8")).join("\n");
    expect(cached).not.toContain(jwt.split(".")[1]);
    expect(cached).toContain(run.stdout.trim());
    // The same spec (here as --identity) reuses the cached token; another spec is another entry.
    const minted = (): number => service.events.filter((e) => e.rawPath === "/v1/tokens").length;
    const before = minted();
    expect((await runCli(["token", "--identity", `file:${path}`], env({}))).stdout).toBe(run.stdout);
    expect(minted()).toBe(before);
    const otherPath = tokenFile("cli-other", await ci.sign({ aud: "mantle-vend", sub: "cli-other" }));
    expect((await runCli(["token"], env({ MANTLE_VEND_IDENTITY: `file:${otherPath}` }))).code).toBe(0);
    expect(minted()).toBe(before + 1);
    expect(readdirSync(cacheDir).length).toBeGreaterThan(files.length);
  });

  it("an API key and an identity both set is a usage error (exit 2), naming both", async () => {
    const both = await runCli(["token"], env({ MANTLE_VEND_IDENTITY: "file:/nonexistent", MANTLE_VEND_API_KEY: `mvk_0123456789abcdef_${"a".repeat(43)}` }));
    expect([both.code, both.stdout]).toEqual([2, ""]);
    expect(both.stderr).toMatch(/^mantle-vend: an API key \(MANTLE_VEND_API_KEY\) and an identity \(MANTLE_VEND_IDENTITY\) are both set: use one/);
    const flag = await runCli(["token", "--identity", "login"], env({ MANTLE_VEND_API_KEY_FILE: "/nonexistent" }));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("(MANTLE_VEND_API_KEY_FILE) and an identity (--identity)");
  });

  it("an identity the service refuses: exit 5 and the service's reason, never the token", async () => {
    const jwt = await other.sign({ aud: "wrong", sub: "x" });
    const run = await runCli(["token", "--no-cache"], env({ MANTLE_VEND_IDENTITY: `file:${tokenFile("refused", jwt)}`, MANTLE_VEND_URL: url }));
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/no identity policy admits this token/);
    expect(run.stderr).not.toContain(jwt.split(".")[1]);
  });

  it("openclaw-config --secret-ref passes MANTLE_VEND_IDENTITY, and the resolver run with only passEnv mints with it", async () => {
    const e = env({ MANTLE_VEND_IDENTITY: `file:${tokenFile("resolver", await ci.sign({ aud: "mantle-vend", sub: "gateway" }))}` });
    const config = JSON.parse((await runCli(["openclaw-config", "--secret-ref"], e)).stdout) as {
      secrets: { providers: Record<string, { command: string; args: string[]; passEnv: string[] }> };
    };
    const provider = config.secrets.providers["mantle-vend"];
    expect(provider?.passEnv).toEqual(["PATH", "MANTLE_VEND_URL", "MANTLE_VEND_IDENTITY"]);
    const childEnv = Object.fromEntries((provider?.passEnv ?? []).map((name) => [name, e[name] ?? ""]));
    const result = await runProcess(provider?.command ?? "", provider?.args ?? [], {
      env: { ...childEnv, XDG_CACHE_HOME: join(home, ".cache") },
      input: JSON.stringify({ protocolVersion: 1, provider: "mantle-vend", ids: ["us-east-1"] }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await accepted((JSON.parse(result.stdout) as { values: Record<string, string> }).values["us-east-1"] ?? "", "us-east-1")).toBe(true);
  });

  it("setup says which variable the tool needs: MANTLE_VEND_IDENTITY, never a key", async () => {
    const result = await runCli(["setup", "pi"], env({ MANTLE_VEND_IDENTITY: `file:${tokenFile("setup", await ci.sign({ aud: "mantle-vend", sub: "laptop" }))}` }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("with MANTLE_VEND_URL and MANTLE_VEND_IDENTITY exported");
    expect(result.stdout).not.toMatch(/mvk_|eyJ/);
  });

  it("a source that fails says so in one line (exit 1)", async () => {
    const run = await runCli(["token", "--no-cache"], env({ MANTLE_VEND_IDENTITY: "command:echo 'no vault session' >&2; exit 1" }));
    expect([run.code, run.stderr]).toEqual([1, "mantle-vend: command: the identity command failed (exit status 1): no vault session\n"]);
  });
});
