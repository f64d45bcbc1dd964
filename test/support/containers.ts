import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";

const RUNNER = join(import.meta.dirname, "container.mjs");

/** An invocation's answer and when it started and ended on the container's (fake) clock. */
export interface Invoked {
  result: FunctionUrlResult;
  startedAt: number;
  endedAt: number;
}

interface Reply {
  id?: number;
  type?: string;
  error?: string;
  result?: FunctionUrlResult;
  startedAt?: number;
  endedAt?: number;
}

/**
 * A bundled Lambda handler in a separate process (a container of its own, test/support/container.mjs)
 * whose clock the test sets and moves; its stdout (logs and EMF metric lines) is kept for the test.
 */
export class Container {
  private next = 0;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private out = "";
  private err = "";

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => (this.out += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.err += chunk.toString()));
    // A container that dies fails what it was asked, with what it said on the way out.
    child.once("exit", (code, signal) => {
      for (const [id, resolve] of this.waiting) {
        this.waiting.delete(id);
        resolve({ id, type: "exit", error: `the container exited (${code ?? signal}): ${this.err.slice(-2000)}` });
      }
    });
    child.on("message", (reply: Reply) => {
      if (reply.id === undefined) return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  /** `fakeTimers`: setTimeout runs on the container's clock too (for the SDK's timeouts; no fetch then). */
  static async start(bundle: string, env: Record<string, string>, nowMs: number, fakeTimers = false): Promise<Container> {
    const child = fork(RUNNER, [bundle, String(nowMs), fakeTimers ? "timers" : "date"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] });
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`the container exited (${code}) before it was ready: ${err}`)));
    });
    return new Container(child);
  }

  /** Everything the container wrote on stderr so far. */
  stderr(): string {
    return this.err;
  }

  /** Everything the container wrote on stdout so far. */
  stdout(): string {
    return this.out;
  }

  /**
   * Everything the container wrote on stdout before now, once it has all arrived: its answers come over
   * IPC, its stdout through a pipe of its own, so a line written before an answer may still be on its way.
   */
  async settledStdout(): Promise<string> {
    const { id } = await this.ask({ type: "mark" });
    const marker = `@@mark ${id}\n`;
    const stdout = this.child.stdout;
    if (stdout !== null && !this.out.includes(marker)) {
      await new Promise<void>((resolve) => {
        const seen = (): void => {
          if (!this.out.includes(marker)) return;
          stdout.off("data", seen);
          resolve();
        };
        // After the listener that appends to `out`, which was added first.
        stdout.on("data", seen);
      });
    }
    return this.out.replace(marker, "");
  }

  invoke(event: FunctionUrlEvent): Promise<Invoked> {
    return this.ask({ type: "invoke", event }).then(({ result, startedAt, endedAt, error }) => {
      if (error !== undefined) throw new Error(error);
      if (result === undefined || startedAt === undefined || endedAt === undefined) throw new Error("the container answered without a result");
      return { result, startedAt, endedAt };
    });
  }

  /** Sets the container's clock (timers do not fire). */
  async setTime(nowMs: number): Promise<void> {
    await this.ask({ type: "time", now: nowMs });
  }

  /** Moves the container's clock on, firing its timers on the way. */
  async advance(ms: number): Promise<void> {
    await this.ask({ type: "advance", ms });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    await exited;
  }

  private ask(message: Record<string, unknown>): Promise<Reply> {
    const id = (this.next += 1);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ ...message, id });
    });
  }
}

/** One EMF document a container printed. */
export interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [field: string]: unknown;
}

/** The EMF documents among a process's output lines. */
export function emfLines(stdout: string): EmfLine[] {
  return stdout.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const parsed = JSON.parse(line) as Partial<EmfLine>;
      return parsed._aws?.CloudWatchMetrics === undefined ? [] : [parsed as EmfLine];
    } catch {
      return [];
    }
  });
}
