import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../client/src/version.js";
import { buildClient, CLIENT_DIR, ROOT } from "../support/client-support.js";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-pack-"));
const npmEnv = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

beforeAll(async () => {
  await buildClient();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("the published package holds only dist/, README.md, LICENSE and package.json", () => {
  it("npm pack --dry-run lists nothing else, and dist has the library, its types and the CLI", async () => {
    // --ignore-scripts: packing runs the build (prepare), which would replace dist/ under the suites using it
    // meanwhile; test/client/package-install.test.ts packs with the build, from a checkout of its own.
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: CLIENT_DIR, env: npmEnv });
    const [pack] = JSON.parse(stdout) as Array<{ name: string; version: string; files: Array<{ path: string; mode: number }> }>;
    expect(pack?.name).toBe("@mantle-vend/client");
    expect(pack?.version).toBe(VERSION);
    const paths = pack!.files.map((f) => f.path);
    for (const path of paths) expect(path, path).toMatch(/^(dist\/[\w./-]+\.(js|cjs|d\.ts)|README\.md|LICENSE|package\.json)$/);
    expect(paths).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/cli.cjs", "README.md", "LICENSE", "package.json"]));
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

describe("a fresh ESM project installs the tarball offline and type-checks and runs an import", () => {
  it("npm install --offline <tgz>, then tsc --noEmit, node and the bin all work", async () => {
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: CLIENT_DIR, env: npmEnv });
    const tarball = join(scratch, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    const project = join(scratch, "consumer");
    await run("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: project, env: npmEnv });

    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        include: ["main.ts"],
      }),
    );
    writeFileSync(
      join(project, "main.ts"),
      [
        'import { MantleVendClient, MantleVendError, type TokenResponse, type Catalog } from "@mantle-vend/client";',
        'const client = new MantleVendClient({ url: "https://example.invalid", apiKey: "mvk_0123456789abcdef_x", region: "us-east-1", timeoutMs: 1000 });',
        "const provider: () => Promise<string> = client.tokenProvider();",
        "export async function use(): Promise<[TokenResponse, Catalog] | MantleVendError> {",
        "  try {",
        "    return [await client.getToken({ region: \"eu-west-1\" }), await client.listModels()];",
        "  } catch (error) {",
        "    if (error instanceof MantleVendError) return error;",
        "    throw error;",
        "  }",
        "}",
        "void provider;",
        "",
      ].join("\n"),
    );
    await run(join(ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", project], { cwd: project });

    // A type error is caught, so the check above is real.
    writeFileSync(join(project, "main.ts"), 'import { MantleVendClient } from "@mantle-vend/client";\nnew MantleVendClient({ url: 1 });\n');
    await expect(run(join(ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", project], { cwd: project })).rejects.toThrow();

    const imported = await run(process.execPath, ["--input-type=module", "-e", 'const m = await import("@mantle-vend/client"); console.log(typeof m.MantleVendClient, m.VERSION)'], { cwd: project });
    expect(imported.stdout.trim()).toBe(`function ${VERSION}`);
    const bin = await run(join(project, "node_modules", ".bin", "mantle-vend"), ["--version"], { cwd: project });
    expect(bin.stdout.trim()).toBe(VERSION);
  }, 60_000);
});
