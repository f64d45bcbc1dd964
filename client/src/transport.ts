import type { Credential } from "./credential.js";
import { MantleVendError, redact } from "./errors.js";
import { isRecord } from "./guards.js";
import { isLoopbackHost } from "./loopback.js";
import { parseRetryAfter, withRetries, type RetryPolicy } from "./retry.js";
import type { FetchLike } from "./types.js";
import { VERSION } from "./version.js";

export interface TransportOptions {
  url: string;
  /** An API key or an identity's current token, sent as `Authorization: Bearer`. */
  credential: Credential;
  allowInsecureHttp: boolean;
  fetch: FetchLike;
  timeoutMs: number;
  /** Waits out an attempt's deadline; aborted once the attempt finished. */
  timeoutSleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  retry: RetryPolicy;
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  /** The parsed body; undefined for 304. */
  json: unknown;
}

export interface RequestInit2 {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Statuses that mean "try again": throttled, or a gateway/Lambda in front of the handler failed. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Normalises the service URL: http(s), no query or fragment, no trailing slash. */
export function normaliseServiceUrl(url: string): string {
  if (!url.includes("://")) {
    // `127.0.0.1:8787` or `abc.lambda-url….on.aws`: the address without its scheme, which is all it lacks.
    const host = url.split(/[/:]/)[0] ?? "";
    throw new MantleVendError({ status: 0, code: "invalid_options", message: `the service URL has no scheme: use ${isLoopbackHost(host) ? "http" : "https"}://${redact(url)}` });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MantleVendError({ status: 0, code: "invalid_options", message: `the service URL is not a URL: ${JSON.stringify(redact(url))}` });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new MantleVendError({ status: 0, code: "invalid_options", message: `the service URL must be http(s), got ${parsed.protocol}` });
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new MantleVendError({ status: 0, code: "invalid_options", message: "the service URL must not contain credentials" });
  }
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString().replace(/\/+$/, "");
}

/**
 * JSON over fetch with the credential, a timeout on every attempt, and retries on transient failures.
 * When the service refuses an identity's token (401), the request is made once more with a fresh one.
 */
export class Transport {
  readonly url: string;

  constructor(private readonly options: TransportOptions) {
    this.url = normaliseServiceUrl(options.url);
    const { protocol, hostname } = new URL(this.url);
    if (protocol === "http:" && !isLoopbackHost(hostname) && !options.allowInsecureHttp) {
      throw new MantleVendError({
        status: 0,
        code: "invalid_options",
        message: `refusing to send the credential over plain http to ${hostname}: use https, or allow it explicitly (allowInsecureHttp: true; CLI --allow-insecure-http or MANTLE_VEND_ALLOW_INSECURE_HTTP=1)`,
      });
    }
  }

  request(init: RequestInit2): Promise<JsonAnswer> {
    return this.send(init, true);
  }

  private async send(init: RequestInit2, mayRenew: boolean): Promise<JsonAnswer> {
    const { credential } = this.options;
    let sent = "";
    try {
      return await withRetries(this.options.retry, async () => {
        sent = await credential.value();
        return this.attempt(init, sent);
      });
    } catch (error) {
      // A projected token file rotated, a token revoked at the provider: one more try with a fresh one.
      if (mayRenew && error instanceof MantleVendError && error.status === 401 && credential.refused(sent)) return this.send(init, false);
      throw error;
    }
  }

  private async attempt(init: RequestInit2, bearer: string): Promise<JsonAnswer> {
    const { timeoutMs } = this.options;
    const controller = new AbortController();
    // The deadline is an injectable wait (tests end it by hand); `finished` cancels it.
    const finished = new AbortController();
    void this.options.timeoutSleep(timeoutMs, finished.signal).then(() => {
      if (!finished.signal.aborted) controller.abort();
    });
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": `mantle-vend-client/${VERSION}`,
      ...init.headers,
      authorization: `Bearer ${bearer}`,
    };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(`${this.url}${init.path}`, {
        method: init.method,
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
        signal: controller.signal,
        // A redirect could carry the credential elsewhere: never follow one.
        redirect: "manual",
      });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new MantleVendError({
          status: 0,
          code: "timeout",
          message: `no answer from ${this.url} within ${timeoutMs} ms`,
          retryable: true,
        });
      }
      throw new MantleVendError({
        status: 0,
        code: "network_error",
        message: this.scrub(`cannot reach ${this.url}: ${describeNetworkError(error)}`),
        retryable: true,
      });
    } finally {
      finished.abort();
    }
    return this.interpret(response, text, init.path.split("?")[0] ?? init.path);
  }

  private interpret(response: Response, text: string, path: string): JsonAnswer {
    const { status, headers } = response;
    const requestId = headers.get("x-request-id") ?? undefined;
    if (status === 304) return { status, headers, json: undefined };
    if (status >= 200 && status < 300) {
      try {
        return { status, headers, json: JSON.parse(text) as unknown };
      } catch {
        throw new MantleVendError({ status, code: "invalid_response", message: `${this.url} answered HTTP ${status} with a body that is not JSON`, requestId });
      }
    }
    const retryAfterSeconds = parseRetryAfter(headers.get("retry-after"), this.options.now());
    const envelope = parseEnvelope(text);
    // The service has no 404 on the routes the client calls: the URL points somewhere else.
    if (status === 404) throw new MantleVendError({ status, code: envelope?.code ?? "not_found", message: this.scrub(wrongUrl(this.url, path, envelope?.message)), requestId });
    if (envelope !== undefined) {
      throw new MantleVendError({
        status,
        code: envelope.code,
        message: this.scrub(envelope.message),
        requestId: envelope.requestId ?? requestId,
        retryable: RETRYABLE_STATUSES.has(status),
        retryAfterSeconds,
      });
    }
    if (status >= 300 && status < 400) {
      throw new MantleVendError({ status, code: "http_error", message: `${this.url} answered with a redirect (HTTP ${status}); use the final URL`, requestId });
    }
    // Lambda's own throttle and crash answers (and proxies in front) come without the envelope.
    throw new MantleVendError({
      status,
      code: "http_error",
      message: `${this.url} answered HTTP ${status} without the service's error body`,
      requestId,
      retryable: status === 429 || status >= 500,
      retryAfterSeconds,
    });
  }

  private scrub(text: string): string {
    return redact(text, this.options.credential.secrets());
  }
}

/** Why `url` + `path` is a 404, and which URL to use instead. */
function wrongUrl(url: string, path: string, said: string | undefined): string {
  const where = `no mantle-vend service answers ${url}${path}${said === undefined ? "" : ` (it said: ${said})`}`;
  if (/\/v1$/.test(new URL(url).pathname)) return `${where}: the service URL is its root, without /v1: use ${url.slice(0, -"/v1".length)}`;
  return `${where}: use the service's own URL, the one npm start prints ("listening on …") or a deployment's FunctionUrl output`;
}

function parseEnvelope(text: string): { code: string; message: string; requestId?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = isRecord(value) ? value["error"] : undefined;
  if (!isRecord(error) || typeof error["code"] !== "string" || typeof error["message"] !== "string") return undefined;
  const requestId = typeof error["requestId"] === "string" ? error["requestId"] : undefined;
  return { code: error["code"], message: error["message"], ...(requestId === undefined ? {} : { requestId }) };
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  const code = isRecord(cause) && typeof cause["code"] === "string" ? cause["code"] : undefined;
  if (code !== undefined) return code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
