import { DependencyUnavailableError } from "../errors.js";
import { describeError } from "../logger.js";

/**
 * The parameter store failed (throttled, unreachable, refused, a broken or locked file): every store
 * error reaches callers as this, with the SDK's or the file system's own error as `cause`, so no
 * caller has to recognise AWS error names. The message names the action and the cause's class and
 * message, for logs and the admin CLI; the HTTP boundary never shows it to a caller.
 */
export class StoreUnavailableError extends DependencyUnavailableError {
  constructor(action: string, options: { cause: unknown }) {
    const { errorName, errorMessage } = describeError(options.cause);
    super(`the parameter store could not ${action}: ${errorName}: ${errorMessage}`, { ...options, dependency: "ssm" });
    this.name = "StoreUnavailableError";
  }
}

/** Runs one store call, wrapping whatever it throws (already wrapped errors pass through). */
export async function storeCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError(action, { cause: error });
  }
}
