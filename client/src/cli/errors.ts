/** The CLI's own errors and how every failure becomes one line on stderr and an exit code. */
import { MantleVendError } from "../errors.js";
import { EXIT } from "./exit-codes.js";

/** A failure the CLI reports in its own words: one line, with the exit code of its kind. */
abstract class CliError extends Error {
  /** The kind's exit code. */
  abstract readonly exitCode: number;
}

/** A bad command line (exit 2). */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  readonly exitCode = EXIT.USAGE;
}

/** Missing or malformed configuration (exit 3). */
export class ConfigError extends CliError {
  override readonly name = "ConfigError";
  readonly exitCode = EXIT.CONFIG;
}

/** The region is not one the key may use here, or not one the service serves (exit 6); the message says where it came from. */
export class RegionRefusedError extends CliError {
  override readonly name = "RegionRefusedError";
  readonly exitCode = EXIT.FORBIDDEN;
}

/** A tool's config file cannot be read, merged or written (exit 7); nothing was changed. */
export class ToolConfigError extends CliError {
  override readonly name = "ToolConfigError";
  readonly exitCode = EXIT.TOOL_CONFIG;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
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
  if (error instanceof CliError) return error.message;
  if (error instanceof MantleVendError) {
    if (error.status === 401) return `the server rejected the credential (401 ${error.code}): ${error.message}`;
    if (error.status === 0) return error.message;
    return `${error.message} (HTTP ${error.status} ${error.code}${error.requestId === undefined ? "" : `, request ${error.requestId}`})`;
  }
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
