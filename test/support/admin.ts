/**
 * `mantle-vend-admin` as an operator runs it (bin/mantle-vend-admin.js, a child process), for the
 * admin suites: a temporary home, the SSM fake from the fixture, and the environment that points
 * the real AWS SDK at it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, vi } from "vitest";
import { run as runInProcess } from "../../lambda/admin/cli.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { useFixture } from "./fixture.js";
import { credentialFreeEnv } from "./process.js";

const root = join(import.meta.dirname, "../..");
const bin = join(root, "bin/mantle-vend-admin.js");

interface AdminOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AdminCli {
  /** The suite's temporary home (and a place for `--data-dir`s). */
  readonly home: string;
  readonly ssm: SsmFake;
  /** The environment that sends the CLI's SSM calls to the fake. */
  ssmEnv(): Record<string, string>;
  /** Runs the CLI; rejects with `{code, stdout, stderr}` when it exits non-zero. */
  run(args: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  /** Runs the CLI and resolves with its exit code and output, whatever the code. */
  outcome(args: string[], env?: Record<string, string>): Promise<AdminOutcome>;
  /**
   * The CLI's `run` in this process, its output captured: what the spawned CLI does minus the
   * process start, for the many small cases (a bad flag each) a suite checks. --local only.
   */
  inProcess(args: string[]): Promise<AdminOutcome>;
}

/** Registers the suite's hooks: the SSM fake, and a temporary home removed after the last test. */
export function useAdminCli(): AdminCli {
  const fixture = useFixture({ ssm: true });
  let home: string | undefined;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "mantle-vend-admin-"));
  });
  afterAll(async () => {
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });
  const currentHome = (): string => {
    if (home === undefined) throw new Error("the admin suite's home is made in beforeAll");
    return home;
  };
  const run = (args: string[], env: Record<string, string> = {}) => promisify(execFile)(bin, args, { cwd: root, env: credentialFreeEnv(currentHome(), env) });
  return {
    get home() {
      return currentHome();
    },
    get ssm() {
      return fixture.ssm;
    },
    ssmEnv: () => ({
      AWS_ENDPOINT_URL_SSM: fixture.ssm.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDADMIN",
      AWS_SECRET_ACCESS_KEY: "admin-secret",
    }),
    run,
    async inProcess(args) {
      const written = { stdout: "", stderr: "" };
      const spies = (["stdout", "stderr"] as const).map((stream) =>
        vi.spyOn(process[stream], "write").mockImplementation((chunk: string | Uint8Array) => {
          written[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
          return true;
        }),
      );
      try {
        return { code: await runInProcess(args), ...written };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    },
    async outcome(args, env) {
      try {
        return { code: 0, ...(await run(args, env)) };
      } catch (error) {
        if (!isExitFailure(error)) throw error;
        return { code: error.code, stdout: error.stdout, stderr: error.stderr };
      }
    },
  };
}

function isExitFailure(error: unknown): error is AdminOutcome {
  return error instanceof Error && "code" in error && typeof error.code === "number" && "stdout" in error && typeof error.stdout === "string" && "stderr" in error && typeof error.stderr === "string";
}
