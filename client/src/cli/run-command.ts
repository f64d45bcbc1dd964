import { spawn } from "node:child_process";
import { constants } from "node:os";
import { EXIT } from "./exit-codes.js";

const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];

/**
 * Runs a command with extra environment and stdio inherited; resolves with its exit code. Signals this
 * process receives are forwarded to the child; if the child dies of a signal, this process re-raises
 * that signal on itself so the caller sees the same cause of death.
 */
export function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, onError: (line: string) => void): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve(EXIT.USAGE);
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: "inherit", env, shell: false });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const detach = (): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      detach();
      if (error.code === "ENOENT") {
        onError(`command not found: ${file}`);
        resolve(EXIT.COMMAND_NOT_FOUND);
      } else {
        onError(`cannot run ${file}: ${error.code ?? error.message}`);
        resolve(EXIT.CANNOT_EXECUTE);
      }
    });
    child.on("exit", (code, signal) => {
      detach();
      if (signal !== null) {
        process.kill(process.pid, signal);
        // Signals whose default action does not end a process (or that are ignored) still need an answer.
        const number = (constants.signals as Record<string, number>)[signal] ?? 0;
        setTimeout(() => resolve(128 + number), 500);
        return;
      }
      resolve(code ?? EXIT.FAILURE);
    });
  });
}
