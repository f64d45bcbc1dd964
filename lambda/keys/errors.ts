import { DependencyUnavailableError, ServiceError } from "../errors.js";

/**
 * Missing, malformed, unknown, disabled, expired or revoked: one error and one message for
 * all, so a caller cannot tell which of them a guessed key was.
 */
export class UnknownKeyError extends ServiceError {
  constructor() {
    super("missing or invalid API key");
    this.name = "UnknownKeyError";
  }
}

/** The key cache is past its maximum age and the store cannot be read: fail closed. */
export class KeyStoreUnavailableError extends DependencyUnavailableError {
  constructor(options?: { cause?: unknown }) {
    super("the key store cannot be reached", options);
    this.name = "KeyStoreUnavailableError";
  }
}
