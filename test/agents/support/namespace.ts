/** Runs one tool job in a fresh network + mount namespace (as root) and reads back what happened. */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../../support/client-support.js";
import type { Job, RunResult } from "./job.js";
import { connects, leavingLoopback, type Connect } from "./strace.js";

const SANDBOX = join(dirname(fileURLToPath(import.meta.url)), "sandbox.ts");
/** Outside the repository: agents treat a git work tree around their cwd as the project (opencode snapshots it). */
const RUNS_DIR = join(tmpdir(), "mantle-vend-agents");

/** One request the emulator answered, as `GET /_emulator/calls` lists it. */
interface EmulatorCall {
  region: string;
  method: string;
  path: string;
  /** 401: the bearer token did not verify; anything else: it did. */
  status: number;
  /** A fingerprint of the token (never the token), where the emulator gives one. */
  token?: string;
}

export interface Run extends RunResult {
  dir: string;
  stdout: string;
  stderr: string;
  connects: Connect[];
  leaks: Connect[];
  emulator: EmulatorCall[];
}

const read = (path: string): string => (existsSync(path) ? readFileSync(path, "utf8") : "");

function callsOf(value: unknown): EmulatorCall[] {
  const list = typeof value === "object" && value !== null && "calls" in value ? (value as { calls: unknown }).calls : value;
  return Array.isArray(list) ? (list as EmulatorCall[]) : [];
}

/** `name` names the run's folder under .agents/runs (kept for a look after a failure). */
export async function runInNamespace(name: string, make: (dir: string) => Job): Promise<Run> {
  const dir = join(RUNS_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const job = make(dir);
  writeFileSync(join(dir, "job.json"), JSON.stringify(job, null, 2));
  await new Promise<void>((resolve, reject) => {
    const child = spawn("unshare", ["-n", "-m", "--", process.execPath, "--import", "tsx", SANDBOX, dir], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: job.home, AWS_EC2_METADATA_DISABLED: "true" },
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // The sandbox bounds the tool; this bounds the sandbox (server start, setup, teardown).
    const timer = setTimeout(() => child.kill("SIGKILL"), job.timeoutMs + 90_000);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      writeFileSync(join(dir, "sandbox-stderr.txt"), stderr);
      resolve();
    });
  });
  const resultText = read(join(dir, "result.json"));
  const result: RunResult =
    resultText === "" ? { phase: "error", error: `the sandbox wrote no result: ${read(join(dir, "sandbox-stderr.txt"))}`, dnsQueries: [] } : (JSON.parse(resultText) as RunResult);
  const all = connects(read(join(dir, "strace.txt")));
  const emulator = callsOf(result.calls);
  return { ...result, dir, stdout: read(join(dir, "stdout.txt")), stderr: read(join(dir, "stderr.txt")), connects: all, leaks: leavingLoopback(all), emulator };
}
