import { MantleVendError } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry-after beyond this is not waited for. */
  maxRetryAfterSeconds: number;
  random: () => number;
  sleep: Sleep;
}

/** Waits `ms`; settles early (resolving) once `signal` aborts, so a wait that is no longer needed holds no timer. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });

/**
 * "Full jitter" exponential backoff: attempt n (0-based) waits uniformly in [0, min(max, base·2^n)).
 * A server's retry-after is a floor: the wait is at least that long.
 */
function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.floor(policy.random() * ceiling);
  return retryAfterSeconds === undefined ? jittered : Math.max(retryAfterSeconds * 1000, jittered);
}

/** Runs `attempt` until it succeeds, throws a non-retryable error, or the retries run out. */
export async function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof MantleVendError) || !error.retryable || n >= policy.maxRetries) throw error;
      if (error.retryAfterSeconds !== undefined && error.retryAfterSeconds > policy.maxRetryAfterSeconds) throw error;
      await policy.sleep(backoffDelay(n, policy, error.retryAfterSeconds));
    }
  }
}

/** `retry-after` as whole seconds (delta form) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}
