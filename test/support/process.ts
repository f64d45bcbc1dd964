import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/** The environment of a machine with no AWS credentials at all. */
export function credentialFreeEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^AWS_|^MANTLE_VEND_|^POWERTOOLS_/.test(name)) env[name] = value;
  }
  return {
    ...env,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: `${home}/no-aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${home}/no-aws-credentials`,
    ...extra,
  };
}

export interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `pattern` in stdout+stderr, rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** Whether any process of the group `pgid` is left (signal 0 checks without signalling). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    listeners.forEach((notify) => notify());
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    listeners.forEach((notify) => notify());
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = (out + err).match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        listeners.add(check);
        void exited.then(() => reject(new Error(`process exited before ${pattern}: ${out}\n${err}`)));
        check();
      }),
    stop: async () => {
      // A child killed by a signal has no exit code, only a signal code: stopped either way.
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        // npm and tsx spawn children: signal the whole group.
        process.kill(-child.pid, "SIGTERM");
        await exited;
      }
      // npm may exit before the server it started has finished stopping (a last write of its data dir):
      // the group is stopped once none of it is left. Bounded: 5 s at the most.
      for (let polls = 0; polls < 250 && child.pid !== undefined && groupAlive(child.pid); polls++) await sleep(20);
    },
  };
}
