/**
 * `mantle-vend doctor`: one line per check, ✓ or ✗ with the fix, every check run whatever failed before;
 * exit 0 when all pass, else the first failure's exit code. Tested healthy, then with each check broken
 * in turn: the service down, the key revoked, a region the key may not use, a clock the service's
 * `Date` disagrees with, a token cache open to others, the proxy down, a stale `setup --write` config.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { useCliService } from "../../support/cli-service.js";
import { CLI, runProcess, type CliResult } from "../../support/client-support.js";
import { ManualClock } from "../../support/clock.js";
import { closedPort } from "../../support/ports.js";

// The service's answers are dated by its clock: set to now, then moved to skew it.
const clock = new ManualClock(Date.now());
const service = useCliService({ clock });
const { fixture } = service;
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-doctor-"));
let proxy: RunningProxy;
let runs = 0;

beforeAll(async () => {
  proxy = await startProxy({ client: new MantleVendClient({ url: service.url, apiKey: service.apiKey, region: "us-east-1" }), port: 0, requireKey: true });
});

afterAll(async () => {
  await proxy?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function home(): string {
  const dir = join(scratch, `home-${runs++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

function env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH, HOME: dir, XDG_CACHE_HOME: join(dir, "cache"), XDG_CONFIG_HOME: join(dir, "config"), MANTLE_VEND_URL: service.url, MANTLE_VEND_API_KEY: service.apiKey, AWS_REGION: "us-east-1", ...extra };
}

const cli = (dir: string, args: string[], extra: Record<string, string> = {}): Promise<CliResult> => runProcess(process.execPath, [CLI, ...args], { env: env(dir, extra) });

/** The report: each check's line (✓/✗ and what it says), fix lines apart. */
function report(result: CliResult): { checks: string[]; fixes: string[] } {
  const lines = result.stdout.trimEnd().split("\n");
  return { checks: lines.filter((l) => /^[✓✗] /.test(l)), fixes: lines.filter((l) => l.startsWith("    fix: ")) };
}

const failing = (result: CliResult): string[] => report(result).checks.filter((l) => l.startsWith("✗"));

/** A home with a codex config written by setup --write, a kept proxy key, and the token cache made. */
async function healthyHome(): Promise<string> {
  const dir = home();
  const written = await cli(dir, ["setup", "codex", "--write", "--model", "openai.gpt-5.5"]);
  expect(written.code, written.stderr).toBe(0);
  mkdirSync(join(dir, "cache", "mantle-vend"), { recursive: true, mode: 0o700 });
  return dir;
}

describe("healthy: every check passes, exit 0", () => {
  it("one ✓ line per check, in order", async () => {
    const dir = await healthyHome();
    const result = await cli(dir, ["doctor", "--proxy", proxy.url]);
    expect(result.code, result.stdout).toBe(0);
    const { checks, fixes } = report(result);
    expect(fixes).toEqual([]);
    expect(checks.map((l) => l.replace(/^✓ (\S+).*$/, "$1"))).toEqual(["service", "clock:", "credential:", "regions:", "token:", "catalog", "token", "proxy", join(dir, ".codex", "config.toml:")]);
    expect(checks[0]).toMatch(/^✓ service http:\/\/127\.0\.0\.1:\d+: mantle-vend test \(this CLI \d+\.\d+\.\d+\)$/);
    expect(checks).toContain(`✓ proxy ${proxy.url}: answers (mantle-vend 0.1.0, region us-east-1, key required)`);
    expect(checks.at(-1)).toBe(`✓ ${join(dir, ".codex", "config.toml")}: codex config current (openai.gpt-5.5 on /openai/v1)`);
    expect(result.stdout).not.toContain(service.apiKey);
  });
});

describe("each check broken in turn: its ✗ line with the fix, the others still run, exit = the first failure's code", () => {
  it("the service down: exit 4", async () => {
    const dir = await healthyHome();
    const port = await closedPort();
    const result = await cli(dir, ["doctor", "--proxy", proxy.url], { MANTLE_VEND_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(4);
    expect(failing(result)[0]).toBe(`✗ service http://127.0.0.1:${port}: cannot reach it (ECONNREFUSED)`);
    expect(report(result).fixes[0]).toMatch(/^ {4}fix: check MANTLE_VEND_URL/);
    // Stopping at nothing: the local checks still ran and passed.
    expect(report(result).checks).toContain(`✓ proxy ${proxy.url}: answers (mantle-vend 0.1.0, region us-east-1, key required)`);
  });

  it("the key revoked: exit 5", async () => {
    const dir = await healthyHome();
    const revoked = await fixture.service.createKey();
    await fixture.service.admin.revoke(revoked.keyId);
    const result = await cli(dir, ["doctor"], { MANTLE_VEND_API_KEY: revoked.key });
    expect(result.code).toBe(5);
    expect(failing(result)[0]).toMatch(/^✗ credential: the server rejected the credential \(401 unauthorized\)/);
    expect(report(result).fixes[0]).toContain("the key is revoked, expired or wrong");
    expect(result.stdout).not.toContain(revoked.key);
  });

  it("a region the key may not use: exit 6", async () => {
    const dir = await healthyHome();
    const narrow = await fixture.service.createKey({ regions: ["us-west-2"] });
    const result = await cli(dir, ["doctor"], { MANTLE_VEND_API_KEY: narrow.key, AWS_REGION: "eu-west-1" });
    expect(result.code).toBe(6);
    expect(failing(result)[0]).toBe("✗ regions: eu-west-1 (from AWS_REGION) is not one this key may use (us-west-2)");
    expect(report(result).fixes[0]).toBe("    fix: pass --region us-west-2, or change AWS_REGION");
  });

  it("a clock the service's Date disagrees with by 5 minutes: exit 1", async () => {
    const dir = await healthyHome();
    clock.advance(5 * 60_000);
    try {
      const result = await cli(dir, ["doctor"]);
      expect(result.code).toBe(1);
      expect(failing(result)).toEqual([expect.stringMatching(/^✗ clock: this machine's clock is 4 min 5\d s behind the service's$|^✗ clock: this machine's clock is 5 min 0 s behind the service's$/)]);
    } finally {
      clock.advance(-5 * 60_000);
    }
  });

  it("a token cache directory open to others (0777): exit 3", async () => {
    const dir = await healthyHome();
    chmodSync(join(dir, "cache", "mantle-vend"), 0o777);
    const result = await cli(dir, ["doctor"]);
    expect(result.code).toBe(3);
    expect(failing(result)).toEqual([`✗ token cache ${join(dir, "cache", "mantle-vend")}: mode 777, open to other users`]);
    expect(report(result).fixes).toEqual([`    fix: chmod 700 ${join(dir, "cache", "mantle-vend")}`]);
  });

  it("the proxy down: exit 4", async () => {
    const dir = await healthyHome();
    const port = await closedPort();
    const result = await cli(dir, ["doctor", "--proxy", `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(4);
    expect(failing(result)).toEqual([`✗ proxy http://127.0.0.1:${port}: cannot reach it (ECONNREFUSED)`]);
    expect(report(result).fixes).toEqual([`    fix: start it: mantle-vend proxy --port ${port}`]);
  });

  it("a setup --write config no longer what setup would write: exit 7, with the command that writes it again", async () => {
    const dir = await healthyHome();
    const file = join(dir, ".codex", "config.toml");
    writeFileSync(file, readFileSync(file, "utf8").replace('wire_api = "responses"', 'wire_api = "chat"'));
    const result = await cli(dir, ["doctor"]);
    expect(result.code).toBe(7);
    expect(failing(result)).toEqual([`✗ ${file}: codex config out of date (setup would change ${file})`]);
    expect(report(result).fixes).toEqual([`    fix: write it again: mantle-vend setup codex --write --config-file ${file} --region us-east-1 --model openai.gpt-5.5`]);
    // The fix does fix it.
    expect((await cli(dir, ["setup", "codex", "--write", "--config-file", file, "--region", "us-east-1", "--model", "openai.gpt-5.5"])).code).toBe(0);
    expect((await cli(dir, ["doctor"])).code).toBe(0);
  });
});
