import { JWTS_IN_TEXT } from "./jwt.js";
import { API_KEYS_IN_TEXT } from "./rules.js";

/**
 * Every failure of the client is a MantleVendError. Its message is written for people and is scrubbed:
 * it never contains an API key, a bearer token or an identity token (JWT), whatever the server or the
 * network said.
 */
export class MantleVendError extends Error {
  /** HTTP status, or 0 when no answer arrived (network error, timeout) or the client refused to start. */
  readonly status: number;
  /**
   * The server's error code (`unauthorized`, `forbidden`, `rate_limited`, …) or one of the client's:
   * `network_error`, `timeout`, `http_error` (an answer without the service's envelope, e.g. Lambda's own
   * throttle or crash answer), `invalid_response`, `invalid_options`, `identity_unavailable` (an identity
   * source failed: its token service, metadata server, file or command), `login_failed`, `login_expired`
   * (the saved login cannot be renewed: run `mantle-vend login`).
   */
  readonly code: string;
  /** The server's request id, when it sent one. */
  readonly requestId: string | undefined;
  /** Whether the client treats the failure as transient (and retried it). */
  readonly retryable: boolean;
  /** The server's `retry-after`, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | undefined;
    retryable?: boolean;
    retryAfterSeconds?: number | undefined;
  }) {
    super(redact(init.message));
    this.name = "MantleVendError";
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

const BEARER_TOKEN = /bedrock-api-key-[A-Za-z0-9+/=_-]+/g;

/** Removes anything shaped like an API key secret, a bearer token or a JWT; the key id may stay (it is not secret). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out.replace(API_KEYS_IN_TEXT, "mvk_$1_[redacted]").replace(BEARER_TOKEN, "bedrock-api-key-[redacted]").replace(JWTS_IN_TEXT, "[redacted JWT]");
}
