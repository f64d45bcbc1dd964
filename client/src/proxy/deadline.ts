/** Bounded waits for the proxy: what the service has not answered in time is not waited on further. */
import type { Sleep } from "../retry.js";

/** How a piece of work stood when the wait ended. */
export type Settled<T> = { kind: "value"; value: T } | { kind: "error"; error: unknown } | { kind: "late" };

const PENDING: unique symbol = Symbol("pending");

/**
 * Waits for `work` at most `ms` (on `sleep`, so tests move time by hand). Work that has already
 * settled, a cached token or catalog, is taken without a timer: only a pending one starts a wait.
 * Late work goes on; its outcome is for whoever else awaits it.
 */
export async function settleWithin<T>(work: Promise<T>, ms: number, sleep: Sleep): Promise<Settled<T>> {
  try {
    // Settled promises react in the order they are raced: `work` wins if it is already done.
    const now = await Promise.race([work, Promise.resolve<typeof PENDING>(PENDING)]);
    if (now !== PENDING) return { kind: "value", value: now };
    const stop = new AbortController();
    const timer = sleep(Math.max(0, ms), stop.signal).then<typeof PENDING, typeof PENDING>(
      () => PENDING,
      () => PENDING,
    );
    try {
      const first = await Promise.race([work, timer]);
      return first === PENDING ? { kind: "late" } : { kind: "value", value: first };
    } finally {
      stop.abort();
    }
  } catch (error) {
    return { kind: "error", error };
  }
}

/** `work`'s value, or a rejection with `late()` once `ms` pass without one. */
export async function withDeadline<T>(work: Promise<T>, ms: number, sleep: Sleep, late: () => Error): Promise<T> {
  const settled = await settleWithin(work, ms, sleep);
  if (settled.kind === "value") return settled.value;
  throw settled.kind === "error" ? settled.error : late();
}
