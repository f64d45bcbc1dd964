import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../client/src/version.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { freshCheckout, REPO, userEnv, type Checkout } from "../support/checkout.js";
import { buildClient, runProcess } from "../support/client-support.js";

let scratch: string;
let checkout: Checkout;
let ssm: SsmFake;

beforeAll(async () => {
  await buildClient();
  scratch = mkdtempSync(join(tmpdir(), "mantle-vend-entry-"));
  mkdirSync(join(scratch, "home"));
  checkout = freshCheckout();
  ssm = await SsmFake.start();
});

afterAll(async () => {
  await ssm?.close();
  checkout?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => userEnv(join(scratch, "home"), extra);

describe("the admin bin runs its main whatever the path it was started by", () => {
  it("works through a link named like npx's .bin/mantle-vend-admin, which no argv check would recognise", async () => {
    const bin = join(scratch, "npx-cache", "node_modules", ".bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(join(REPO, "bin", "mantle-vend-admin.js"), join(bin, "mantle-vend-admin"));
    const help = await runProcess(join(bin, "mantle-vend-admin"), ["--help"], { env: env() });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: mantle-vend-admin keys <create\|update\|list\|show\|rotate\|revoke>/);
    const dataDir = join(scratch, "linked-data");
    const created = await runProcess(join(bin, "mantle-vend-admin"), ["keys", "create", "--name", "linked", "--local", "--data-dir", dataDir], { env: env() });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
  });

  it("a mistake is exit status 2 with the usage on stderr, not a silent 0", async () => {
    const bogus = await runProcess(join(REPO, "bin", "mantle-vend-admin.js"), ["keys", "list", "--bogus"], { env: env() });
    expect(bogus.code).toBe(2);
    expect(bogus.stdout).toBe("");
    expect(bogus.stderr).toBe("mantle-vend-admin: unknown option --bogus; see mantle-vend-admin keys list --help\n");
    const none = await runProcess(join(REPO, "bin", "mantle-vend-admin.js"), [], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: mantle-vend-admin/);
  });
});

describe("npm ci builds the client and links its bin", () => {
  it("node_modules/.bin/mantle-vend leads to client/dist/cli.cjs: npm links a bin only if its file exists, so prepare ran first", () => {
    const link = join(REPO, "node_modules", ".bin", "mantle-vend");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(join(REPO, "client", "dist", "cli.cjs")));
    const scripts = (JSON.parse(readFileSync(join(REPO, "client", "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["prepare"]).toBe("npm run build");
  });
});

describe("in a fresh clone after npm ci, npx runs both CLIs", () => {
  const npx = (args: string[]) => runProcess("npx", args, { env: env(), cwd: checkout.dir, timeoutMs: 60_000 });

  it("npx mantle-vend-admin … --local works in the clone's .mantle-vend/", async () => {
    const created = await npx(["mantle-vend-admin", "keys", "create", "--name", "via-npx", "--local"]);
    expect(created.code, created.stderr).toBe(0);
    const keyId = created.stdout.trim().slice(4, 20);
    const listed = await npx(["mantle-vend-admin", "keys", "list", "--local"]);
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+via-npx\\s`, "m"));
    expect(readFileSync(join(checkout.dir, ".mantle-vend", "parameters.json"), "utf8")).toContain(`/mantle-vend/keys/${keyId}`);
  });

  it("npx mantle-vend is the client's CLI: the root package (also named mantle-vend) has no bin to shadow it", async () => {
    const rootPackage = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { name: string; bin: Record<string, string> };
    expect(rootPackage.name).toBe("mantle-vend");
    expect(Object.keys(rootPackage.bin)).toEqual(["mantle-vend-admin"]);
    const version = await npx(["mantle-vend", "--version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    const help = await npx(["mantle-vend", "--help"]);
    expect(help.stdout).toMatch(/^mantle-vend \d+\.\d+\.\d+: short-lived Amazon Bedrock Mantle tokens/);
  });
});

describe("admin output carries no AWS SDK deprecation notice, and other warnings still show", () => {
  const ssmEnv = (extra: Record<string, string> = {}) =>
    env({ AWS_ENDPOINT_URL_SSM: ssm.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDADMIN", AWS_SECRET_ACCESS_KEY: "admin-secret", ...extra });
  const admin = (args: string[], extra: Record<string, string> = {}) => runProcess(join(REPO, "bin", "mantle-vend-admin.js"), args, { env: ssmEnv(extra) });

  it("keys create and list against SSM print only their own lines on stderr", async () => {
    const created = await admin(["keys", "create", "--name", "quiet"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/^created key [0-9a-f]{16} \(quiet\); store it now, it is not shown again\n$/);
    const listed = await admin(["keys", "list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toBe("");
  });

  it("the SDK's notice is what a Node < 22 run would otherwise print (the check above can fail)", async () => {
    const major = Number(process.versions.node.split(".")[0]);
    const loud = await admin(["keys", "list"], { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" });
    expect(loud.code).toBe(0);
    if (major < 22) expect(loud.stderr).toContain("NodeVersionSupportWarning");
    else expect(loud.stderr).not.toContain("NodeVersionSupportWarning");
  });

  it("a warning from anywhere else still reaches stderr", async () => {
    const preload = `data:text/javascript;base64,${Buffer.from('process.emitWarning("canary warning");').toString("base64")}`;
    const canary = await admin(["keys", "list"], { NODE_OPTIONS: `--import=${preload}` });
    expect(canary.code, canary.stderr).toBe(0);
    expect(canary.stderr).toContain("canary warning");
  });
});
