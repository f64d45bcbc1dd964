/**
 * `npm start` as people type it: the mode line (offline and why, or online with which credentials),
 * MANTLE_VEND_OFFLINE and npm's own --offline, npm's habit of keeping `--port` for itself, and a bad
 * environment value stopping the start with one line naming the variable, before anything is created.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "../support/checkout.js";
import { runProcess, type CliResult } from "../support/client-support.js";
import { credentialFreeEnv, start } from "../support/process.js";

const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A private network namespace when the machine allows one: an online start must reach nothing anyway. */
const isolated = spawnSync("unshare", ["-rn", "true"]).status === 0;
const npm = (args: string[]): [string, string[]] => (isolated ? ["unshare", ["-rn", "npm", ...args]] : ["npm", args]);

/** `npm <args>` expected to stop by itself: its exit status and its own stderr lines (npm's removed). */
async function stopped(args: string[], extra: Record<string, string>): Promise<CliResult & { lines: string[] }> {
  const [command, argv] = npm(args);
  const result = await runProcess(command, argv, { cwd: REPO, env: credentialFreeEnv(join(scratch, "home"), extra), timeoutMs: 60_000 });
  return { ...result, lines: result.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm ") && !line.startsWith(">")) };
}

/** The mode line of a start that comes up, then stops it. */
async function modeOf(args: string[], extra: Record<string, string>): Promise<string> {
  const [command, argv] = npm(["start", ...args]);
  const server = start(command, argv, { cwd: REPO, env: credentialFreeEnv(join(scratch, "home"), extra) });
  try {
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    return server.stderr().split("\n").find((line) => /^mantle-vend: (offline|online)/.test(line)) ?? `(no mode line in ${server.stderr()})`;
  } finally {
    await server.stop();
  }
}

const dataDir = (name: string): string => join(scratch, name);
const AWS_CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLEONLY", AWS_SECRET_ACCESS_KEY: "not-a-real-secret", AWS_REGION: "us-east-1" };

describe("npm start says its mode in one line: offline and why, or online and with which credentials", () => {
  it("AWS credentials in the environment: online, from the environment variables", async () => {
    expect(await modeOf(["--", "--port", "0", "--data-dir", dataDir("online")], AWS_CREDENTIALS)).toBe(
      "mantle-vend: online: signing with AWS credentials from environment variables (AWS_ACCESS_KEY_ID) for real Mantle (npm start -- --offline, or MANTLE_VEND_OFFLINE=1, for the bundled emulator)",
    );
  }, 60_000);

  it.each<[string, string[], Record<string, string>, string]>([
    ["MANTLE_VEND_OFFLINE=1, credentials or not", ["--", "--port", "0"], { MANTLE_VEND_OFFLINE: "1" }, "MANTLE_VEND_OFFLINE=1"],
    ["npm start -- --offline", ["--", "--offline", "--port", "0"], {}, "--offline"],
    ["npm start --offline, which npm keeps for itself and tells its script", ["--offline", "--", "--port", "0"], {}, "npm start --offline, seen as npm_config_offline; MANTLE_VEND_OFFLINE=0 overrides it"],
  ])("%s: offline, saying why", async (_name, args, extra, why) => {
    const line = await modeOf([...args, "--data-dir", dataDir(`offline-${why.length}`)], { ...AWS_CREDENTIALS, ...extra });
    expect(line).toMatch(new RegExp(`^mantle-vend: offline \\(${why.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}\\): signing with local credentials for the bundled Mantle emulator at http://127\\.0\\.0\\.1:\\d+$`));
  }, 60_000);
});

describe("npm start takes a development OpenID Provider on plain http at a loopback address", () => {
  it("MANTLE_VEND_LOGIN_ISSUER=http://127.0.0.1:…: the server comes up (the check before the start reads what the start reads)", async () => {
    const line = await modeOf(["--", "--offline", "--port", "0", "--data-dir", dataDir("login-issuer")], {
      MANTLE_VEND_LOGIN_ISSUER: "http://127.0.0.1:9/realms/dev",
      MANTLE_VEND_LOGIN_CLIENT_ID: "mantle-vend-cli",
    });
    expect(line).toMatch(/^mantle-vend: offline /);
  }, 60_000);

  it("MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS=0 still refuses it, with one line naming the variable", async () => {
    const result = await stopped(["start", "--", "--offline", "--port", "0", "--data-dir", dataDir("login-issuer-refused")], {
      MANTLE_VEND_LOGIN_ISSUER: "http://127.0.0.1:9/realms/dev",
      MANTLE_VEND_LOGIN_CLIENT_ID: "mantle-vend-cli",
      MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "0",
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.lines).toEqual([expect.stringMatching(/^mantle-vend: MANTLE_VEND_LOGIN_ISSUER is plain http to a loopback host/)]);
  }, 60_000);
});

describe("npm start --port N (npm keeps --port for itself) says how to write it", () => {
  it("one line with the command that works, exit 2, nothing created", async () => {
    const result = await stopped(["start", "--port", "8797"], {});
    expect(result.code).toBe(2);
    expect(result.lines).toEqual(["mantle-vend: npm took --port for itself: run npm start -- --port 8797"]);
  }, 60_000);
});

/** One bad value for every variable the service reads (lambda/config.ts) and for MANTLE_VEND_OFFLINE. */
const BAD_VALUES: Record<string, [string, RegExp]> = {
  MANTLE_VEND_PARAMETER_PREFIX: ["no-slash", /^MANTLE_VEND_PARAMETER_PREFIX must start with "\/"/],
  MANTLE_VEND_REGIONS: ["uswest2", /^MANTLE_VEND_REGIONS must be a comma-separated list of AWS regions, got "uswest2"$/],
  MANTLE_VEND_DEFAULT_REGION: ["ap-south-2", /^MANTLE_VEND_DEFAULT_REGION "ap-south-2" is not in MANTLE_VEND_REGIONS$/],
  MANTLE_VEND_DEFAULT_TTL_SECONDS: ["59", /^MANTLE_VEND_DEFAULT_TTL_SECONDS must be an integer from 60 to 43200, got "59"$/],
  MANTLE_VEND_MAX_TTL_SECONDS: ["1h", /^MANTLE_VEND_MAX_TTL_SECONDS must be an integer from 60 to 43200, got "1h"$/],
  MANTLE_VEND_CATALOG_TTL_SECONDS: ["0", /^MANTLE_VEND_CATALOG_TTL_SECONDS must be an integer from 60 /],
  MANTLE_VEND_KEY_CACHE_MAX_AGE_SECONDS: ["-5", /^MANTLE_VEND_KEY_CACHE_MAX_AGE_SECONDS must be an integer/],
  MANTLE_VEND_RATE_LIMIT_PER_SECOND: ["fast", /^MANTLE_VEND_RATE_LIMIT_PER_SECOND must be a positive number, got "fast"$/],
  MANTLE_VEND_RATE_LIMIT_BURST: ["1.5", /^MANTLE_VEND_RATE_LIMIT_BURST must be an integer/],
  MANTLE_VEND_MANTLE_ENDPOINT: ["https://bedrock-mantle.api.aws", /^MANTLE_VEND_MANTLE_ENDPOINT must be an http\(s\) URL containing \{region\}/],
  MANTLE_VEND_REQUEST_DEADLINE_MS: ["soon", /^MANTLE_VEND_REQUEST_DEADLINE_MS must be an integer/],
  MANTLE_VEND_TOKEN_ROLE_ARN: ["my-role", /^MANTLE_VEND_TOKEN_ROLE_ARN must be an IAM role ARN, got "my-role"$/],
  MANTLE_VEND_LIMITS_TABLE: ["limits table", /^MANTLE_VEND_LIMITS_TABLE must be a DynamoDB table name/],
  MANTLE_VEND_LIMITS_FAILURE: ["Open", /^MANTLE_VEND_LIMITS_FAILURE must be open or closed, got "Open"$/],
  MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: ["yes", /^MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS must be 1 or 0, got "yes"$/],
  MANTLE_VEND_LOGIN_ISSUER: ["https://login.example.com", /^MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID go together: set both, or neither$/],
  MANTLE_VEND_LOGIN_CLIENT_ID: ["cli", /^MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID go together: set both, or neither$/],
  MANTLE_VEND_LOGIN_SCOPES: ["openid", /^MANTLE_VEND_LOGIN_SCOPES is set, but MANTLE_VEND_LOGIN_ISSUER and MANTLE_VEND_LOGIN_CLIENT_ID are not$/],
  MANTLE_VEND_OFFLINE: ["yes", /^MANTLE_VEND_OFFLINE must be 1 or 0, got "yes"$/],
};

describe("a bad environment value stops npm start with one line naming the variable: exit 3, no stack trace, nothing created", () => {
  it("the table covers every variable the service's configuration reads", () => {
    const read = new Set(readFileSync(join(REPO, "lambda", "config.ts"), "utf8").match(/MANTLE_VEND_[A-Z_]+/g));
    for (const name of read) expect(Object.keys(BAD_VALUES), name).toContain(name);
  });

  it.concurrent.each(Object.entries(BAD_VALUES))("%s", async (name, [value, message]) => {
    const dir = dataDir(`bad-${name}`);
    const result = await stopped(["start", "--", "--port", "0", "--data-dir", dir], { [name]: value });
    expect(result.code, result.stderr).toBe(3);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]?.replace(/^mantle-vend: /, "")).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).not.toMatch(/mvk_/);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});
