import { setImmediate as nextTurn } from "node:timers/promises";
import { vi } from "vitest";

/** A promise and whether it has settled yet, so a test can turn the event loop until it has. */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  settled(): boolean;
}

export function tracked<T>(promise: Promise<T>): Tracked<T> {
  let done = false;
  const settledPromise = promise.finally(() => (done = true));
  settledPromise.catch(() => undefined); // the caller awaits `promise`; this only keeps the copy from going unhandled
  return { promise, settled: () => done };
}

/** Turns the event loop (I/O runs, no timer is waited on) until `done()`; bounded. */
export async function turnsUntil(done: () => boolean, maxTurns = 200_000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn += 1) {
    if (done()) return;
    await nextTurn();
  }
  throw new Error(`not done after ${maxTurns} turns of the event loop`);
}

/**
 * Fake `setTimeout` and `Date` for code whose timers a test cannot inject: the bundled Lambda
 * and the AWS SDK inside it, whose request timeouts and retry pauses use the globals. Real I/O
 * (loopback sockets, `setImmediate`) keeps running, so a test alternates: `settle` turns the
 * event loop with time standing still until the I/O it waits for has happened, and `advance`
 * moves time on in small steps only while what is in flight waits on a timer (a held request,
 * a retry pause). Nothing waits on real time beyond the I/O itself.
 */
export class FakeTime {
  private constructor() {}

  static install(): FakeTime {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    return new FakeTime();
  }

  /** Turns the event loop, time standing still, until `done()`. */
  settle(done: () => boolean): Promise<void> {
    return turnsUntil(done);
  }

  /** Moves time on `stepMs` at a time, with a few real turns between steps, until `done()`. */
  async advance(done: () => boolean, options: { stepMs?: number; limitMs?: number } = {}): Promise<void> {
    const { stepMs = 10, limitMs = 60_000 } = options;
    for (let passed = 0; passed < limitMs; passed += stepMs) {
      for (let turn = 0; turn < 3; turn += 1) {
        if (done()) return;
        await nextTurn();
      }
      await vi.advanceTimersByTimeAsync(stepMs);
    }
    if (!done()) throw new Error(`not done after ${limitMs} ms of fake time`);
  }

  restore(): void {
    vi.useRealTimers();
  }
}
