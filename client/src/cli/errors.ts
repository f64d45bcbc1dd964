/** The CLI's own errors and how every failure becomes one line on stderr and an exit code. */
import { MantleVendError } from "../errors.js";
import { EXIT } from "./exit-codes.js";

/** A bad command line (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Missing or malformed configuration (exit 3). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof ConfigError) return EXIT.CONFIG;
  if (error instanceof MantleVendError) {
    if (error.code === "invalid_options") return EXIT.CONFIG;
    if (error.code === "login_expired") return EXIT.UNAUTHORIZED;
    if (error.status === 0 && (error.code === "network_error" || error.code === "timeout")) return EXIT.UNREACHABLE;
    if (error.status === 401) return EXIT.UNAUTHORIZED;
    if (error.status === 403) return EXIT.FORBIDDEN;
  }
  return EXIT.FAILURE;
}

/** The failure as the one line the user reads. */
export function describeFailure(error: unknown): string {
  if (error instanceof UsageError) return `${error.message} (see mantle-vend --help)`;
  if (error instanceof ConfigError) return error.message;
  if (error instanceof MantleVendError) {
    if (error.status === 401) return `the server rejected the credential (401 ${error.code}): ${error.message}`;
    if (error.status === 0) return error.message;
    return `${error.message} (HTTP ${error.status} ${error.code}${error.requestId === undefined ? "" : `, request ${error.requestId}`})`;
  }
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
