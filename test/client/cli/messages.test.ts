/**
 * The CLI's answers to a mistake say what to do: a refused region names where it came from and the
 * regions the key may use (exit 6, for a region the service does not serve too), a wrong service URL
 * (no scheme, the emulator's port, a /v1 suffix) names the URL to use, `token --ttl` asks for a
 * lifetime, and `version` / `--version` print the version.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../../client/src/version.js";
import { useCliService } from "../../support/cli-service.js";
import { runCli } from "../../support/client-support.js";

const service = useCliService();
const { fixture } = service;
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-messages-"));
let serverUrl: string;
let narrowKey: string;

beforeAll(async () => {
  serverUrl = service.url;
  narrowKey = (await fixture.service.createKey({ regions: ["us-west-2", "eu-west-1"] })).key;
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let caches = 0;
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: scratch,
    XDG_CACHE_HOME: join(scratch, `cache-${caches++}`),
    MANTLE_VEND_URL: serverUrl,
    MANTLE_VEND_API_KEY: narrowKey,
    MANTLE_VEND_RETRIES: "0",
    ...extra,
  };
}

/** One line on stderr, and the exit code. */
async function oneLine(args: string[], extra: Record<string, string>): Promise<{ code: number | null; line: string }> {
  const result = await runCli(args, env(extra));
  expect(result.stderr.split("\n"), result.stderr).toHaveLength(2);
  return { code: result.code, line: result.stderr.replace(/\n$/, "") };
}

describe("a refused region says where it came from and which regions the key may use (exit 6)", () => {
  it("from AWS_REGION: the 403 lists the key's regions and says to pass --region or change AWS_REGION", async () => {
    const { code, line } = await oneLine(["token"], { AWS_REGION: "us-east-1" });
    expect(code).toBe(6);
    expect(line).toMatch(/^mantle-vend: this key may not use us-east-1; it may use: us-west-2, eu-west-1; us-east-1 came from AWS_REGION \(pass --region, or change AWS_REGION\) \(HTTP 403 forbidden, request \S+\)$/);
  });

  it("from --region", async () => {
    const { code, line } = await oneLine(["models", "--region", "ap-south-1"], { AWS_REGION: "us-west-2" });
    expect(code).toBe(6);
    expect(line).toMatch(/; it may use: us-west-2, eu-west-1; ap-south-1 came from --region \(HTTP 403/);
  });

  it("a region the service does not serve is exit 6 too (not 1), with the key's regions", async () => {
    const { code, line } = await oneLine(["token", "--region", "us-west-9"], {});
    expect(code).toBe(6);
    expect(line).toBe("mantle-vend: the service does not serve us-west-9 to this key; it may use: us-west-2, eu-west-1; us-west-9 came from --region");
  });

  it("a value that is no region name is refused before any request: exit 2 for the flag, 3 for AWS_REGION", async () => {
    const before = fixture.service.events.length;
    expect(await oneLine(["token", "--region", "uswest2"], {})).toEqual({ code: 2, line: 'mantle-vend: --region "uswest2" is not a region name (like us-west-2) (see mantle-vend --help)' });
    expect(await oneLine(["token"], { AWS_REGION: "uswest2" })).toEqual({ code: 3, line: 'mantle-vend: AWS_REGION="uswest2" is not a region name (like us-west-2)' });
    expect(fixture.service.events.length).toBe(before);
  });
});

describe("a wrong service URL is answered with the URL to use", () => {
  it("without a scheme: http:// for loopback, https:// otherwise (exit 3, no request)", async () => {
    const hostPort = serverUrl.replace("http://", "");
    expect(await oneLine(["token"], { MANTLE_VEND_URL: hostPort })).toEqual({ code: 3, line: `mantle-vend: the service URL has no scheme: use ${serverUrl}` });
    expect(await oneLine(["token"], { MANTLE_VEND_URL: "abc123.lambda-url.us-east-1.on.aws" })).toEqual({
      code: 3,
      line: "mantle-vend: the service URL has no scheme: use https://abc123.lambda-url.us-east-1.on.aws",
    });
  });

  it("with a /v1 suffix: the root without it", async () => {
    const { code, line } = await oneLine(["token", "--region", "us-west-2"], { MANTLE_VEND_URL: `${serverUrl}/v1` });
    expect(code).toBe(1);
    expect(line).toMatch(new RegExp(`^mantle-vend: no mantle-vend service answers ${serverUrl}/v1/v1/tokens \\(it said: .*\\): the service URL is its root, without /v1: use ${serverUrl} \\(HTTP 404`));
  });

  it("the Mantle emulator's address: says it is the emulator, and where the service is", async () => {
    fixture.emulator.setServiceUrl(serverUrl);
    const { code, line } = await oneLine(["token", "--region", "us-west-2"], { MANTLE_VEND_URL: fixture.emulator.url });
    expect(code).toBe(1);
    expect(line).toContain(`no mantle-vend service answers ${fixture.emulator.url}/v1/tokens`);
    expect(line).toContain(`This is the Mantle emulator of npm start's offline mode, not the mantle-vend service; the mantle-vend service is at ${serverUrl}.`);
  });
});

describe("token --ttl asks for a lifetime, always from the service", () => {
  it("a granted TTL comes back as asked, and the token cache is left alone", async () => {
    const cacheHome = join(scratch, "ttl-cache");
    const result = await runCli(["token", "--json", "--ttl", "600", "--region", "us-west-2"], env({ XDG_CACHE_HOME: cacheHome }));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ expiresInSeconds: 600, region: "us-west-2" });
    expect(() => readdirSync(join(cacheHome, "mantle-vend"))).toThrow();
  });

  it("above the key's maximum: the service's clamp is said on stderr", async () => {
    const short = await fixture.service.createKey({ maxTtlSeconds: 900 });
    const result = await runCli(["token", "--json", "--ttl", "7200"], env({ MANTLE_VEND_API_KEY: short.key }));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ expiresInSeconds: 900 });
    expect(result.stderr).toBe("mantle-vend: note: asked for 7200 s, the service granted 900 s (its maximum for this key)\n");
  });

  it("outside 60…43200 is a usage error", async () => {
    for (const ttl of ["30", "43201", "1h"]) expect((await runCli(["token", "--ttl", ttl], env())).code, ttl).toBe(2);
  });
});

describe("the version", () => {
  it("`mantle-vend version` and `mantle-vend --version` print it; the help lists both", async () => {
    expect((await runCli(["version"], { PATH: "" })).stdout).toBe(`${VERSION}\n`);
    expect((await runCli(["--version"], { PATH: "" })).stdout).toBe(`${VERSION}\n`);
    const help = (await runCli(["--help"], { PATH: "" })).stdout;
    expect(help).toMatch(/^ {2}-V, --version +print the version/m);
    expect(help).toMatch(/^ {2}version +print this CLI's version/m);
  });
});
