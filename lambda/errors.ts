/** The error codes of the HTTP contract, keyed by the status that carries them. */
export const ERROR_CODES = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  429: "rate_limited",
  500: "internal",
  502: "upstream_error",
  503: "unavailable",
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;

/**
 * An error that is safe to show the caller: its message is written for them and
 * must never carry a token, a key or internal detail.
 */
export class ApiError extends Error {
  readonly status: ErrorStatus;
  readonly headers: Record<string, string>;

  constructor(status: ErrorStatus, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.headers = headers;
  }

  get code(): string {
    return ERROR_CODES[this.status];
  }
}

/** A bad configuration value: start-up stops with this message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A dependency (credentials, parameter store, Mantle) could not be reached or answered badly. */
export class DependencyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DependencyError";
  }
}
