/** Runs one tool job in a fresh network + mount namespace (as root) and reads back what happened. */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../../support/client-support.js";
import type { Job, RunResult } from "./job.js";
import { connects, leavingLoopback, type Connect } from "./strace.js";

const SANDBOX = join(dirname(fileURLToPath(import.meta.url)), "sandbox.ts");
export const RUNS_DIR = join(ROOT, ".agents", "runs");

/** One request the emulator answered, as its log (MANTLE_VEND_EMULATOR_LOG) has it. */
export interface EmulatorEntry {
  region: string;
  method: string;
  path: string;
  status: number;
  /** The token passed the emulator's SigV4 verification. */
  verified: boolean;
  /** A fingerprint of the token (sha256 prefix), never the token. */
  token?: string;
  model?: string;
}

export interface Run extends RunResult {
  dir: string;
  stdout: string;
  stderr: string;
  connects: Connect[];
  leaks: Connect[];
  emulator: EmulatorEntry[];
}

const read = (path: string): string => (existsSync(path) ? readFileSync(path, "utf8") : "");

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
  const emulator = read(join(dir, "emulator.jsonl"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as EmulatorEntry);
  return { ...result, dir, stdout: read(join(dir, "stdout.txt")), stderr: read(join(dir, "stderr.txt")), connects: all, leaks: leavingLoopback(all), emulator };
}
