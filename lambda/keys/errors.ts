import { UnauthenticatedError } from "../errors.js";

/**
 * Missing, malformed, unknown, disabled, expired or revoked: one error and one message for
 * all, so a caller cannot tell which of them a guessed key was.
 */
export class UnknownKeyError extends UnauthenticatedError {
  constructor() {
    super("missing or invalid API key");
    this.name = "UnknownKeyError";
  }
}
