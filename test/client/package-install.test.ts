/**
 * The client on a host without the repository: `npm pack -w client` in a fresh checkout (which builds
 * it), `npm install -g --prefix <dir> ./mantle-vend-client-<v>.tgz`, then the installed `mantle-vend`
 * and the installed library, run from outside any checkout against the local server in offline mode.
 */
import { execFile } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../client/src/version.js";
import { freshCheckout, userEnv, type Checkout } from "../support/checkout.js";
import { runProcess } from "../support/client-support.js";
import { npmStart } from "../support/local-server.js";
import { credentialFreeEnv, start, type Started } from "../support/process.js";

const run = promisify(execFile);
let checkout: Checkout;
let scratch: string;
let prefix: string;
let host: string;
let tarball: string;
let packed: { files: Array<{ path: string; mode: number }> };
let server: Started;
let serverUrl: string;
let key: string;

/** A machine with Node and npm, the installed package's bin on PATH, and nothing of the repository. */
function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: join(host, "home"),
    PATH: [join(prefix, "bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
    XDG_CACHE_HOME: join(host, "home", ".cache"),
    ...extra,
  };
}

beforeAll(async () => {
  checkout = freshCheckout();
  scratch = mkdtempSync(join(tmpdir(), "mantle-vend-install-"));
  prefix = join(scratch, "global");
  host = join(scratch, "host");
  mkdirSync(join(host, "home"), { recursive: true });
  const env = userEnv(join(scratch, "npm-home"));

  // The checkout has no client/dist: only the pack's own build can put it in the tarball.
  const pack = await run("npm", ["pack", "-w", "client", "--json", "--pack-destination", scratch], { cwd: checkout.dir, env, maxBuffer: 8 * 1024 * 1024 });
  const [result] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string; mode: number }> }>;
  if (result === undefined) throw new Error("npm pack listed no package");
  packed = result;
  tarball = join(scratch, result.filename);
  await run("npm", ["install", "-g", "--prefix", prefix, tarball], { cwd: host, env });

  const local = await npmStart(["--offline", "--port", "0", "--data-dir", join(scratch, "server-data")], { env: credentialFreeEnv(join(scratch, "server-home")) });
  server = local.process;
  serverUrl = local.url;
  key = await local.firstKey();
}, 180_000);

afterAll(async () => {
  await server?.stop();
  checkout?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("npm pack -w client builds the package it packs", () => {
  it("is named mantle-vend-client-<version>.tgz and carries the built library, its types and the CLI", () => {
    expect(tarball.endsWith(`mantle-vend-client-${VERSION}.tgz`)).toBe(true);
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/cli.cjs", "README.md", "LICENSE", "package.json"]));
    for (const path of paths) expect(path, path).toMatch(/^(dist\/[\w./-]+\.(c?js|d\.ts)|dist\/cjs\/package\.json|README\.md|LICENSE|package\.json)$/);
    expect((packed.files.find((f) => f.path === "dist/cli.cjs")?.mode ?? 0) & 0o111).not.toBe(0);
  });

  it("is publish-ready: files, exports, bin, engines, license, no dependencies, not private", () => {
    const pkg = JSON.parse(readFileSync(join(prefix, "lib", "node_modules", "@mantle-vend", "client", "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      name: "@mantle-vend/client",
      version: VERSION,
      license: "Apache-2.0",
      type: "module",
      engines: { node: ">=20" },
      bin: { "mantle-vend": "dist/cli.cjs" },
      exports: {
        ".": { import: { types: "./dist/index.d.ts", default: "./dist/index.js" }, require: { types: "./dist/cjs/index.d.ts", default: "./dist/cjs/index.js" } },
        "./proxy": { import: { default: "./dist/proxy/index.js" }, require: { default: "./dist/cjs/proxy/index.js" } },
        "./openclaw": { import: { default: "./dist/openclaw/index.js" }, require: { default: "./dist/cjs/openclaw/index.js" } },
      },
      files: ["dist", "README.md", "LICENSE"],
      publishConfig: { access: "public" },
    });
    expect(pkg["private"]).toBeUndefined();
    expect(pkg["dependencies"] ?? {}).toEqual({});
    const readme = readFileSync(join(prefix, "lib", "node_modules", "@mantle-vend", "client", "README.md"), "utf8");
    expect(readme).toContain(`npm install -g ./mantle-vend-client-${VERSION}.tgz`);
    expect(readme).toContain("npm install -g @mantle-vend/client");
  });
});

describe("npm install -g ./mantle-vend-client-<v>.tgz gives a working mantle-vend on PATH", () => {
  it("links mantle-vend into the prefix's bin, to the installed dist/cli.cjs", () => {
    const bin = join(prefix, "bin", "mantle-vend");
    expect(lstatSync(bin).isSymbolicLink()).toBe(true);
    expect(realpathSync(bin)).toBe(realpathSync(join(prefix, "lib", "node_modules", "@mantle-vend", "client", "dist", "cli.cjs")));
  });

  it("runs from PATH outside any checkout: --version, token, models, env", async () => {
    const env = hostEnv({ MANTLE_VEND_URL: serverUrl, MANTLE_VEND_API_KEY: key });
    const sh = (command: string) => runProcess("/bin/sh", ["-c", `cd "${host}" && ${command}`], { env });
    expect((await sh("mantle-vend --version")).stdout.trim()).toBe(VERSION);
    const token = await sh("mantle-vend token --region us-west-2");
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/^bedrock-api-key-\S+\n$/);
    const models = await sh("mantle-vend models --json");
    expect(models.code, models.stderr).toBe(0);
    expect((JSON.parse(models.stdout) as { models: unknown[] }).models.length).toBeGreaterThan(0);
    const exported = await sh(`eval "$(mantle-vend env --region eu-west-1)" && echo "$AWS_REGION"`);
    expect(exported.stdout.trim()).toBe("eu-west-1");
  });

  it("openclaw-config --secret-ref names the installed CLI as the resolver, a regular 0755 file", async () => {
    const config = await runProcess(join(prefix, "bin", "mantle-vend"), ["openclaw-config", "--secret-ref"], { env: hostEnv({ MANTLE_VEND_URL: serverUrl, MANTLE_VEND_API_KEY: key }) });
    expect(config.code, config.stderr).toBe(0);
    const command = (JSON.parse(config.stdout) as { secrets: { providers: Record<string, { command: string }> } }).secrets.providers["mantle-vend"]?.command;
    expect(command).toBe(realpathSync(join(prefix, "lib", "node_modules", "@mantle-vend", "client", "dist", "cli.cjs")));
    const mode = statSync(command as string).mode & 0o777;
    expect(mode & 0o022).toBe(0);
    expect(mode & 0o100).not.toBe(0);
  });

  it("proxy: the installed CLI forwards a chat completion to the emulator with a token it fetched", async () => {
    const proxy = start(join(prefix, "bin", "mantle-vend"), ["proxy", "--port", "0"], { cwd: host, env: hostEnv({ MANTLE_VEND_URL: serverUrl, MANTLE_VEND_API_KEY: key }) });
    try {
      const url = (await proxy.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer placeholder" },
        body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(chat.status).toBe(200);
      expect(((await chat.json()) as { object: string }).object).toBe("chat.completion");
    } finally {
      await proxy.stop();
    }
  });
});

describe("the globally installed library is importable", () => {
  it("a module next to the prefix's node_modules imports @mantle-vend/client and gets a token and the catalog", async () => {
    const script = join(prefix, "lib", "check.mjs");
    writeFileSync(
      script,
      [
        'import { MantleVendClient, VERSION } from "@mantle-vend/client";',
        "const vend = new MantleVendClient({ url: process.env.MANTLE_VEND_URL, apiKey: process.env.MANTLE_VEND_API_KEY });",
        'const token = await vend.getToken({ region: "us-west-2" });',
        'const catalog = await vend.listModels({ region: "us-west-2" });',
        "console.log(JSON.stringify({ version: VERSION, region: token.region, token: token.token.startsWith(\"bedrock-api-key-\"), models: catalog.models.length }));",
      ].join("\n"),
    );
    const result = await runProcess(process.execPath, [script], { env: hostEnv({ MANTLE_VEND_URL: serverUrl, MANTLE_VEND_API_KEY: key }) });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: VERSION, region: "us-west-2", token: true });
    expect((JSON.parse(result.stdout) as { models: number }).models).toBeGreaterThan(0);
  });
});
