/**
 * The service's own errors. Features throw these (or their feature-specific subclasses in
 * keys/, catalog/, http/) and never think in HTTP statuses: lambda/http/errors.ts is the one
 * place that turns each kind into a status and an envelope. Messages are written for the
 * caller and never carry a token, a key or internal detail; the underlying failure, when
 * there is one, travels as `cause` (logged by class and message only).
 */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceError";
  }
}

/** A bad configuration value: start-up stops with this message. */
export class ConfigError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A dependency (credentials, parameter store, STS) could not be reached or answered badly. */
export class DependencyUnavailableError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DependencyUnavailableError";
  }
}
