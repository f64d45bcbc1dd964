import { identityUnavailable } from "./identity-http.js";

/** A token command that has not answered by then is stopped. */
const COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * The token a command prints (`MANTLE_VEND_IDENTITY=command:CMD`): `sh -c CMD`, its stdout trimmed,
 * within 10 s. A command that fails is reported by its exit status and the last line of its stderr.
 * node:child_process is loaded here only, when such a source is used.
 */
export async function runIdentityCommand(command: string, env: Record<string, string | undefined>, timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops what the shell started too (its pipes would keep us waiting).
    const child = spawn("sh", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const stop = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop();
      else into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
      reject(identityUnavailable(`command: the identity command did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(identityUnavailable(`command: cannot run sh (${error.message})`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const lastLine = Buffer.concat(err).toString("utf8").trim().split("\n").at(-1)?.trim() ?? "";
      if (timedOut) return;
      if (code !== 0) {
        const status = signal === null ? `exit status ${code ?? "?"}` : `signal ${signal}`;
        return reject(identityUnavailable(`command: the identity command failed (${status})${lastLine === "" ? "" : `: ${lastLine}`}`));
      }
      const token = Buffer.concat(out).toString("utf8").trim();
      if (token === "") return reject(identityUnavailable("command: the identity command printed nothing"));
      resolve(token);
    });
  });
}
