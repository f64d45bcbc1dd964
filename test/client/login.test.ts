/**
 * `mantle-vend login`, `logout` and `whoami` against a real OpenID Provider (oidc-provider on loopback:
 * the device grant, rotating refresh tokens, revocation), whose confirmation page the test fills in as a
 * person's browser would, and the real service, which admits the provider's ID tokens by an ordinary
 * identity policy. Nothing waits on real time: the device flow's polls wait on the suite's clock, and the
 * spawned CLI is told to poll every 20 ms by the provider's answer; provider time moves with a faked Date.
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { deviceLogin, type LoginContext } from "../../client/src/login.js";
import { loginSessionPath } from "../../client/src/login-session.js";
import { normaliseServiceUrl } from "../../client/src/transport.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken } from "../../lambda/local/mantle-emulator.js";
import { LOGIN_CLIENT_ID, OpenIdProvider } from "../fakes/openid-provider.js";
import { ManualClock } from "../support/clock.js";
import { buildClient, CLI, runCli } from "../support/client-support.js";
import { start } from "../support/process.js";
import { startService, type TestService } from "../support/service.js";

const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-login-"));
const serviceClock = new ManualClock(Date.now());
let op: OpenIdProvider;
let service: TestService;
let url: string;

beforeAll(async () => {
  await buildClient();
  op = await OpenIdProvider.start({ pollIntervalSeconds: 0.02 });
  service = await startService({
    clock: serviceClock,
    env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1", MANTLE_VEND_LOGIN_ISSUER: op.issuer, MANTLE_VEND_LOGIN_CLIENT_ID: LOGIN_CLIENT_ID },
  });
  url = normaliseServiceUrl(await service.listen());
  // The login's ID tokens are admitted by an ordinary policy: audience the client id, people of acme.
  await service.identities.add("people", { record: { issuer: op.issuer, audiences: [LOGIN_CLIENT_ID], claims: { email: "*@acme.example" }, subject: "{email}" }, grant: {} });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await service?.close();
  await op?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A person's machine: a home, a config dir (where the session goes) and a cache. */
function machine(name: string): Record<string, string> {
  const home = join(scratch, name);
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    MANTLE_VEND_URL: url,
    MANTLE_VEND_RETRIES: "0",
  };
}

/** The provider's clock, moved by hand (oidc-provider reads Date.now); the service's follows it. */
function providerTime(ms: number): void {
  vi.useFakeTimers({ toFake: ["Date"], now: ms });
}

/** `mantle-vend login` as a person runs it: the CLI prints where to go, the person confirms there. */
async function loginAs(env: Record<string, string>, account: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const cli = start(process.execPath, [CLI, "login"], { cwd: scratch, env });
  const [, link = ""] = await cli.waitFor(/to log in, open (\S+)/);
  await op.approve(link, account);
  await new Promise<void>((resolve) => cli.child.once("exit", () => resolve()));
  return { stdout: cli.stdout(), stderr: cli.stderr(), code: cli.child.exitCode };
}

const session = (env: Record<string, string>): Promise<string> => loginSessionPath(url, env);
const readSession = async (env: Record<string, string>): Promise<Record<string, string>> => JSON.parse(readFileSync(await session(env), "utf8")) as Record<string, string>;

describe("mantle-vend login: the device grant against the provider the service advertises", () => {
  it("one stderr line to confirm in a browser; then 'logged in as <email>', the session 0600 in a 0700 directory", async () => {
    const env = machine("alice");
    const result = await loginAs(env, "alice");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^mantle-vend: to log in, open http:\/\/127\.0\.0\.1:\d+\/device\?user_code=[A-Z]{4}-[A-Z]{4}\n$/);
    expect(result.stdout).toBe("logged in as alice@acme.example\n");
    const file = await session(env);
    expect(file).toBe(join(env["XDG_CONFIG_HOME"] as string, "mantle-vend", "login", `${(await import("node:crypto")).createHash("sha256").update(url).digest("hex").slice(0, 16)}.json`));
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(env["XDG_CONFIG_HOME"] as string, "mantle-vend", "login")).mode & 0o777).toBe(0o700);
    expect(Object.keys(await readSession(env)).sort()).toEqual(["clientId", "idToken", "issuer", "refreshToken"]);
  });

  it("then tools need no key: token, and whoami names the person", async () => {
    const env = machine("bob");
    await loginAs(env, "bob");
    const token = await runCli(["token"], env);
    expect([token.code, token.stderr]).toEqual([0, ""]);
    expect((await verifyBearerToken(token.stdout.trim(), { region: "us-east-1", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] })).ok).toBe(true);
    const who = await runCli(["whoami"], env);
    expect(JSON.parse(who.stdout)).toMatchObject({ principal: "identity:people:bob@acme.example", kind: "identity", name: "people" });
  });
});

describe("a later command renews an expired ID token with the refresh token, and keeps the rotated one", () => {
  it("an ID token issued an hour and a half ago is renewed by the next `token`; the refresh token is replaced", async () => {
    const env = machine("carol");
    providerTime(Date.now() - 90 * 60_000);
    await loginAs(env, "carol");
    vi.useRealTimers();
    const before = await readSession(env);
    const refreshes = op.calls.filter((c) => c.grantType === "refresh_token").length;
    const token = await runCli(["token"], env);
    expect([token.code, token.stderr]).toEqual([0, ""]);
    expect(op.calls.filter((c) => c.grantType === "refresh_token").length).toBe(refreshes + 1);
    const after = await readSession(env);
    expect(after.idToken).not.toBe(before.idToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(JSON.parse((await runCli(["whoami"], env)).stdout)).toMatchObject({ principal: "identity:people:carol@acme.example" });
  });

  it("when the provider refuses the renewal (the refresh token was revoked): exit 5, 'login expired: run mantle-vend login'", async () => {
    const env = machine("dave");
    providerTime(Date.now() - 90 * 60_000);
    await loginAs(env, "dave");
    vi.useRealTimers();
    const { refreshToken } = await readSession(env);
    await fetch(`${op.issuer}/token/revocation`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: refreshToken as string, client_id: LOGIN_CLIENT_ID }) });
    const token = await runCli(["token"], env);
    expect([token.code, token.stdout, token.stderr]).toEqual([5, "", "mantle-vend: login expired: run mantle-vend login\n"]);
  });
});

describe("mantle-vend logout deletes the session and revokes its refresh token", () => {
  it("the refresh token no longer works at the provider, the session file is gone, commands ask for a credential again", async () => {
    const env = machine("erin");
    await loginAs(env, "erin");
    const { refreshToken } = await readSession(env);
    expect((await runCli(["token"], env)).code).toBe(0);
    const out = await runCli(["logout"], env);
    expect([out.code, out.stderr]).toEqual([0, `mantle-vend: logged out of ${url}; the refresh token is revoked\n`]);
    expect(() => lstatSync(join(env["XDG_CONFIG_HOME"] as string, "mantle-vend", "login", "x"))).toThrow();
    await expect(session(env).then((file) => lstatSync(file))).rejects.toThrow();
    const refresh = await fetch(`${op.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken as string, client_id: LOGIN_CLIENT_ID }),
    });
    expect(((await refresh.json()) as { error: string }).error).toBe("invalid_grant");
    // The cached token of the person who left is gone too: the next command needs a credential.
    const after = await runCli(["token"], env);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/or run mantle-vend login/);
  });
});

describe("the device flow's answers, each handled as RFC 8628 says (polls wait on the suite's clock)", () => {
  /** The library's device flow with a clock of the suite's: every wait is recorded and passes at once. */
  function flow(name: string, duringWait: (wait: number, index: number, link: string) => Promise<void> | void) {
    const clock = new ManualClock(Date.now());
    const waits: number[] = [];
    let link = "";
    const context: LoginContext = { url, env: machine(name), http: { fetch: (input, init) => fetch(input, init), timeoutMs: 5_000 }, now: clock.now };
    const run = deviceLogin(context, {
      notify: (line) => {
        link = /open (\S+)/.exec(line)?.[1] ?? "";
      },
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
        await duringWait(ms, waits.length - 1, link);
      },
    });
    return { run, waits, clock };
  }
  // Here the provider answers as it does by itself, without an interval: the client waits RFC 8628's 5 s.
  beforeAll(() => {
    op.pollIntervalSeconds = undefined;
  });
  afterAll(() => {
    op.pollIntervalSeconds = 0.02;
  });
  beforeEach(() => {
    op.calls.length = 0;
  });

  it("authorization_pending: waits `interval` (default 5 s) and polls again until the person confirms", async () => {
    const { run, waits } = flow("pending", async (_ms, index, link) => {
      if (index === 1) await op.approve(link, "frank");
    });
    expect((await run).subject).toBe("frank@acme.example");
    expect(waits).toEqual([5_000, 5_000]);
    expect(op.polls().map((p) => p.status)).toEqual([400, 200]);
  });

  it("slow_down adds 5 s to the interval, each time", async () => {
    op.slowDown(2);
    const { run, waits } = flow("slow", async (_ms, index, link) => {
      if (index === 0) await op.approve(link, "grace");
    });
    expect((await run).subject).toBe("grace@acme.example");
    expect(waits).toEqual([5_000, 10_000, 15_000]);
    expect(op.polls().map((p) => p.status)).toEqual([400, 400, 200]);
  });

  it("access_denied: the person cancelled at the provider", async () => {
    const { run } = flow("denied", async (_ms, index, link) => {
      if (index === 0) await op.deny(link);
    });
    await expect(run).rejects.toMatchObject({ code: "login_failed", message: "the login was denied at the provider" });
  });

  it("expired_token: the provider's code expired (its clock passed 10 minutes, the client's 5 s)", async () => {
    const { run } = flow("expired", (_ms, index) => {
      if (index === 0) providerTime(Date.now() + 11 * 60_000);
    });
    await expect(run).rejects.toMatchObject({ code: "login_failed", message: "the login code expired before it was confirmed: run mantle-vend login again" });
    vi.useRealTimers();
    expect(op.polls()).toEqual([expect.objectContaining({ status: 400 })]);
  });

  it("bounded by expires_in on the client's own clock: no poll after it, whatever the provider says", async () => {
    const { run, waits, clock } = flow("bounded", () => undefined);
    const started = clock.now();
    await expect(run).rejects.toMatchObject({ code: "login_failed", message: "the login was not confirmed within the code's 600 s: run mantle-vend login again" });
    expect(clock.now() - started).toBe(600_000);
    expect(op.polls().length).toBe(waits.length);
    expect(waits).toEqual(Array.from({ length: 120 }, () => 5_000));
  });
});
