import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..");
export const BENCH_DIR = import.meta.dirname;

/** One line of the results table: a figure, measured side by side with its baseline. */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline (for throughput: value / baseline too; a target says which way is good). */
  ratio?: number;
  target?: { text: string; met: boolean };
  /** Supporting numbers that are not compared with anything. */
  detail?: Record<string, number | string>;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The environment of a machine with no AWS configuration of its own: only what the caller
 * passes reaches the AWS SDK, the service and the logger.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^AWS_|^MANTLE_VEND_|^POWERTOOLS_|^NODE_OPTIONS$/.test(name)) env[name] = value;
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent/mantle-vend-bench/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/mantle-vend-bench/credentials",
    ...extra,
  };
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn() to the exit event, in milliseconds. */
  wallMs: number;
}

/** Runs a process to completion and times it from spawn to exit. */
export function runTimed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - started }));
  });
}

/** Waits until a child's stderr matches `pattern`; rejects if it exits first or takes too long. */
export function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; stderr so far:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (): void => fail(new Error(`process exited before ${pattern}; stderr:\n${seen}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Starts a long-running child (a server) with stdout discarded and stderr readable. */
export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, stdio: StdioOptions = ["ignore", "ignore", "pipe"]): ChildProcess {
  return spawn(command, args, { cwd: REPO_ROOT, env, stdio });
}

/** Stops a child this bench started and waits for it to be gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined where
 * there is no /proc (the figures that need it are then left out).
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
