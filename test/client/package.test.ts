/**
 * The package as a consumer gets it: `npm pack` of the built client, installed offline into fresh ESM
 * and CommonJS projects, type-checked under TypeScript's node10, node16 and bundler resolution and run
 * on Node 20 (this machine's) and Node 24 (the Lambda runtime's; test/support/node24-binary.mjs).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../client/src/version.js";
import { buildClient, CLIENT_DIR, ROOT } from "../support/client-support.js";
import { ensureNode24 } from "../support/node24-binary.mjs";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-pack-"));
const npmEnv = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
let tarball: string;
let nodes: Array<[string, string]>;

type Kind = "esm" | "cjs";
const projectDir = (kind: Kind): string => join(scratch, kind);

/**
 * One program for every resolution: the three entry points, values and types. The @ts-expect-error
 * lines fail the compile if the types resolved to nothing (`any`), so every type-check below is real.
 */
const PROGRAM = `import { MantleVendClient, MantleVendError, VERSION, type Catalog, type TokenResponse } from "@mantle-vend/client";
import { startProxy, type RunningProxy } from "@mantle-vend/client/proxy";
import { openClawConfig, resolveSecrets, type OpenClawConfig } from "@mantle-vend/client/openclaw";

const client = new MantleVendClient({ url: "https://example.invalid", apiKey: "mvk_0123456789abcdef_x", region: "us-east-1" });
export const configFor = (catalog: Catalog): OpenClawConfig => openClawConfig(catalog, { kind: "env" });
export const tokenOf = (answer: TokenResponse): string => answer.token;
export let running: RunningProxy | undefined;
export function neverCalled(): void {
  // @ts-expect-error url is a string
  new MantleVendClient({ url: 1, apiKey: "k" });
  // @ts-expect-error the proxy needs a client
  void startProxy({ port: 0 });
  // @ts-expect-error status is a number
  const status: string = new MantleVendError({ status: 0, code: "x", message: "m" }).status;
  void status;
}
const kinds = [MantleVendClient, MantleVendError, startProxy, openClawConfig, resolveSecrets].map((value) => typeof value);
console.log(JSON.stringify({ version: VERSION, kinds, url: client.url }));
`;

/** Each resolution with the module setting it goes with, and whether its output runs under Node as emitted. */
const RESOLUTIONS: Record<Kind, Array<{ resolution: string; module: string; runs: boolean }>> = {
  esm: [
    { resolution: "node10", module: "ES2022", runs: true },
    { resolution: "node16", module: "Node16", runs: true },
    { resolution: "bundler", module: "ESNext", runs: true },
  ],
  cjs: [
    { resolution: "node10", module: "CommonJS", runs: true },
    { resolution: "node16", module: "Node16", runs: true },
    // A bundler takes ES module syntax even in a CommonJS project: type-checked, and left to the bundler.
    { resolution: "bundler", module: "Preserve", runs: false },
  ],
};

beforeAll(async () => {
  await buildClient();
  nodes = [["Node 20", process.execPath], ["Node 24", ensureNode24()]];
  // --ignore-scripts: packing runs the build (prepare), which would replace dist/ under the suites using it
  // meanwhile; test/client/package-install.test.ts packs with the build, from a checkout of its own.
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: CLIENT_DIR, env: npmEnv });
  tarball = join(scratch, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
  for (const kind of ["esm", "cjs"] as const) {
    const dir = projectDir(kind);
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `consumer-${kind}`, version: "1.0.0", private: true, type: kind === "esm" ? "module" : "commonjs" }));
    writeFileSync(join(dir, "main.ts"), PROGRAM);
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: dir, env: npmEnv });
  }
}, 300_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("the published package holds only dist/, README.md, LICENSE and package.json", () => {
  it("npm pack --dry-run lists nothing else, and dist has both builds with their types and the CLI", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: CLIENT_DIR, env: npmEnv });
    const [pack] = JSON.parse(stdout) as Array<{ name: string; version: string; files: Array<{ path: string; mode: number }> }>;
    expect(pack?.name).toBe("@mantle-vend/client");
    expect(pack?.version).toBe(VERSION);
    const paths = pack!.files.map((f) => f.path);
    for (const path of paths) expect(path, path).toMatch(/^(dist\/[\w./-]+\.(js|cjs|d\.ts)|dist\/cjs\/package\.json|README\.md|LICENSE|package\.json)$/);
    for (const entry of ["index", "proxy/index", "openclaw/index"]) {
      expect(paths).toEqual(expect.arrayContaining([`dist/${entry}.js`, `dist/${entry}.d.ts`, `dist/cjs/${entry}.js`, `dist/cjs/${entry}.d.ts`]));
    }
    expect(paths).toEqual(expect.arrayContaining(["dist/cjs/package.json", "dist/cli.cjs", "README.md", "LICENSE", "package.json"]));
    expect(paths.some((path) => path.includes("/cli/") || path.includes("/setup/"))).toBe(false);
    expect(pack!.files.find((f) => f.path === "dist/cli.cjs")!.mode & 0o111).not.toBe(0);
  });

  it("has zero runtime dependencies and the version the code reports", () => {
    const pkg = JSON.parse(readFileSync(join(CLIENT_DIR, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg["dependencies"] ?? {}).toEqual({});
    expect(pkg["peerDependencies"]).toBeUndefined();
    expect(pkg["version"]).toBe(VERSION);
    expect(readFileSync(join(CLIENT_DIR, "LICENSE"), "utf8")).toContain("Apache License");
  });
});

describe.each(["esm", "cjs"] as const)("a fresh %s project that installed the tarball offline", (kind) => {
  it.each(RESOLUTIONS[kind])("type-checks with tsc --strict under moduleResolution $resolution, and its output runs on Node 20 and 24", async ({ resolution, module, runs }) => {
    const dir = projectDir(kind);
    const outDir = join(dir, `out-${resolution}`);
    const config = join(dir, `tsconfig.${resolution}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module,
          moduleResolution: resolution,
          strict: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
          ...(runs ? { outDir } : { noEmit: true }),
        },
        files: ["main.ts"],
      }),
    );
    await run(TSC, ["-p", config], { cwd: dir }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc (${kind}, ${resolution}) failed:\n${error.stdout ?? String(error)}`);
    });
    if (!runs) return;
    // The emitted file sits in the project, so the project's package.json type applies to it.
    for (const [name, node] of nodes) {
      const { stdout } = await run(node, [join(outDir, "main.js")], { cwd: dir });
      expect(JSON.parse(stdout), `${kind} ${resolution} on ${name}`).toEqual({ version: VERSION, kinds: ["function", "function", "function", "function", "function"], url: "https://example.invalid" });
    }
  });

  it("require() and import() of each entry point work on Node 20 and 24", async () => {
    const script = "const entries = ['@mantle-vend/client', '@mantle-vend/client/proxy', '@mantle-vend/client/openclaw'];";
    for (const [name, node] of nodes) {
      const required = await run(node, ["-e", `${script} console.log(entries.map((e) => Object.keys(require(e)).sort().join(',')).join(' | '))`], { cwd: projectDir(kind) });
      const imported = await run(node, ["--input-type=module", "-e", `${script} const m = await Promise.all(entries.map((e) => import(e))); console.log(m.map((x) => Object.keys(x).sort().join(',')).join(' | '))`], { cwd: projectDir(kind) });
      const exported = "FileTokenCache,MantleVendClient,MantleVendError,VERSION | startProxy | OPENCLAW_PROVIDER_ID,openClawConfig,parseResolverRequest,resolveSecrets";
      expect(required.stdout.trim(), name).toBe(exported);
      expect(imported.stdout.trim(), name).toBe(exported);
    }
  });
});

describe("importing the package root loads none of node:http, node:https, node:net, node:tls", () => {
  const NETWORK = /^NativeModule (http|https|net|tls)$/;
  /** The network modules a fresh process had loaded after loading `entry` (process.moduleLoadList). */
  const loadedBy = async (node: string, how: "require" | "import", entry: string): Promise<string[]> => {
    const probe = `const loaded = () => process.moduleLoadList.filter((m) => ${NETWORK}.test(m)).map((m) => m.split(" ")[1]).sort();`;
    const code = how === "require" ? `${probe} require(${JSON.stringify(entry)}); console.log(JSON.stringify(loaded()))` : `${probe} await import(${JSON.stringify(entry)}); console.log(JSON.stringify(loaded()))`;
    const { stdout } = await run(node, [...(how === "import" ? ["--input-type=module"] : []), "-e", code], { cwd: projectDir("esm") });
    return JSON.parse(stdout) as string[];
  };

  it.each(["require", "import"] as const)("%s on Node 20 and 24: none; the same probe sees all four after ./proxy", async (how) => {
    for (const [name, node] of nodes) {
      expect(await loadedBy(node, how, "@mantle-vend/client"), name).toEqual([]);
      expect(await loadedBy(node, how, "@mantle-vend/client/openclaw"), name).toEqual([]);
      expect(await loadedBy(node, how, "@mantle-vend/client/proxy"), name).toEqual(["http", "https", "net", "tls"]);
    }
  });
});

describe("the installed bin runs", () => {
  it("mantle-vend --version", async () => {
    const bin = await run(join(projectDir("esm"), "node_modules", ".bin", "mantle-vend"), ["--version"], { cwd: projectDir("esm") });
    expect(bin.stdout.trim()).toBe(VERSION);
  });
});
