import { setTimeout as sleepFor } from "node:timers/promises";

/** Resolves after `ms`, or rejects once `signal` aborts; tests drive it from their clock. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** A real timer that does not keep the process alive. */
export const realSleep: Sleep = (ms, signal) => sleepFor(ms, undefined, { signal, ref: false });

export const TIMED_OUT = Symbol("timed out");

/**
 * `work`'s result, or TIMED_OUT once `ms` have passed on `sleep`: what a request waits for ends
 * by its deadline. The work itself is not cancelled; it finishes (or fails) in the background.
 */
export async function within<T>(work: Promise<T>, ms: number, sleep: Sleep): Promise<T | typeof TIMED_OUT> {
  if (ms === Number.POSITIVE_INFINITY) return work;
  const timer = new AbortController();
  const expired = sleep(Math.max(0, ms), timer.signal).then(
    (): typeof TIMED_OUT => TIMED_OUT,
    (): typeof TIMED_OUT => TIMED_OUT,
  );
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer.abort();
  }
}
