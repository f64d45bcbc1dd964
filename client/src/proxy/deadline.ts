/** Bounded waits for the proxy: what the service has not answered in time is not waited on further. */
import type { Sleep } from "../retry.js";

/** How a piece of work stood when the wait ended. */
export type Settled<T> = { kind: "value"; value: T } | { kind: "error"; error: unknown } | { kind: "late" };

const ignore = (): void => undefined;

/**
 * Waits for `work` at most `ms` (on `sleep`, so tests move time by hand). Work that has already
 * settled, a cached token or catalog, is taken without a timer: only a pending one starts a wait.
 * Late work goes on; its outcome is for whoever else awaits it.
 */
export async function settleWithin<T>(work: Promise<T>, ms: number, sleep: Sleep): Promise<Settled<T>> {
  let settled: Settled<T> | undefined;
  work.then(
    (value) => (settled = { kind: "value", value }),
    (error: unknown) => (settled = { kind: "error", error }),
  );
  // A promise that has settled already runs the reaction above before this await resumes; one resolved
  // with another promise (an async function returning one) a tick or two later. Looking a few ticks
  // spares a settled value the timer, which costs more than the ticks.
  for (let tick = 0; tick < 3 && settled === undefined; tick++) await undefined;
  if (settled !== undefined) return settled;
  const stop = new AbortController();
  try {
    await Promise.race([work.then(ignore, ignore), sleep(Math.max(0, ms), stop.signal).then(ignore, ignore)]);
  } finally {
    stop.abort();
  }
  return settled ?? { kind: "late" };
}

/**
 * Bounded waits for one source (the catalog, the grant): each load is waited on at most `ms`, and once
 * one has outlasted that, later callers do not wait for it again while it is still out.
 */
export class BoundedWait {
  private overdue = false;

  constructor(
    readonly ms: number,
    private readonly sleep: Sleep,
  ) {}

  async settle<T>(work: Promise<T>): Promise<Settled<T>> {
    const settled = await settleWithin(work, this.overdue ? 0 : this.ms, this.sleep);
    if (settled.kind === "late" && !this.overdue) {
      this.overdue = true;
      const done = (): void => {
        this.overdue = false;
      };
      work.then(done, done);
    }
    return settled;
  }
}

/** `work`'s value, or a rejection with `late()` once `ms` pass without one. */
export async function withDeadline<T>(work: Promise<T>, ms: number, sleep: Sleep, late: () => Error): Promise<T> {
  const settled = await settleWithin(work, ms, sleep);
  if (settled.kind === "value") return settled.value;
  throw settled.kind === "error" ? settled.error : late();
}
