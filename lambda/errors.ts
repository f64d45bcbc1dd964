/**
 * The service's own errors. Features throw these (or their feature-specific subclasses) and never
 * think in HTTP statuses: lambda/http/errors.ts is the one place that turns each kind into a status
 * and an envelope. Messages are written for the caller and never carry a token, a key or internal
 * detail; the underlying failure, when there is one, travels as `cause` (logged by class and message
 * only).
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

/** A command line that cannot be run as given (the admin CLI, `npm start`): the message says what to fix. */
export class UsageError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The request itself is wrong: malformed, wrong types, unknown fields, a region the service does not serve. */
export class InvalidRequestError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

/** No valid credential: every refusal of this kind gets the same answer, so it tells a guesser nothing. */
export class UnauthenticatedError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = "UnauthenticatedError";
  }
}

/** The principal is known but its grant does not allow this. */
export class ForbiddenError extends ServiceError {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

/**
 * Response headers a refusal carries besides its own: the fleet limits' RateLimit-Policy and
 * RateLimit fields (draft-ietf-httpapi-ratelimit-headers), decided where the limit is.
 */
export type LimitHeaders = Readonly<Record<string, string>>;

/** The principal asked more often than its grant allows; it may ask again after `retryAfterSeconds`. */
export class RateLimitedError extends ServiceError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly headers: LimitHeaders = {},
  ) {
    super(message);
    this.name = "RateLimitedError";
  }
}

/** The principal minted its day's quota of tokens; the quota resets at `resetsAt` (the next UTC midnight). */
export class QuotaExceededError extends ServiceError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly resetsAt: Date,
    readonly headers: LimitHeaders = {},
  ) {
    super(message);
    this.name = "QuotaExceededError";
  }
}

/** The services the service depends on, as metrics and logs name them. */
export const DEPENDENCIES = ["ssm", "sts", "dynamodb", "jwks", "mantle"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** A dependency (credentials, parameter store, STS, Mantle) could not be reached or answered badly. */
export class DependencyUnavailableError extends ServiceError {
  /** Which one, when known. */
  readonly dependency: Dependency | undefined;

  constructor(message: string, options?: { cause?: unknown; dependency?: Dependency }) {
    super(message, options);
    this.name = "DependencyUnavailableError";
    this.dependency = options?.dependency;
  }
}
