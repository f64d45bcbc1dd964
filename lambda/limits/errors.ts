import { DependencyUnavailableError } from "../errors.js";
import { describeError } from "../logger.js";

/** The limits table (or the local counters file) could not be read or written in time. */
export class LimitsUnavailableError extends DependencyUnavailableError {
  constructor(action: string, options: { cause?: unknown } = {}) {
    const why = options.cause === undefined ? "" : `: ${describeError(options.cause).errorName}: ${describeError(options.cause).errorMessage}`;
    super(`the limits table could not ${action}${why}`, { ...options, dependency: "dynamodb" });
    this.name = "LimitsUnavailableError";
  }
}
