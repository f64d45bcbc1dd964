import { describe, expect, it } from "vitest";
import { SingleFlight } from "../../client/src/single-flight.js";

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("callers of one key share the work in flight", () => {
  it("a second call while the first runs gets the same promise; the work runs once", async () => {
    const flight = new SingleFlight<string, number>();
    const work = deferred<number>();
    let runs = 0;
    const start = (): Promise<number> => {
      runs++;
      return work.promise;
    };
    const a = flight.run("k", start);
    const b = flight.run("k", start);
    expect(b).toBe(a);
    work.resolve(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(runs).toBe(1);
  });

  it("other keys run their own work", async () => {
    const flight = new SingleFlight<string, string>();
    const [a, b] = [flight.run("a", async () => "A"), flight.run("b", async () => "B")];
    expect(await Promise.all([a, b])).toEqual(["A", "B"]);
  });
});

describe("settled work is forgotten, whether it succeeded or failed", () => {
  it("the next call after a success or a failure starts new work", async () => {
    const flight = new SingleFlight<string, number>();
    let runs = 0;
    await flight.run("k", async () => ++runs);
    await expect(
      flight.run("k", async () => {
        runs++;
        throw new Error("down");
      }),
    ).rejects.toThrow("down");
    expect(await flight.run("k", async () => ++runs)).toBe(3);
  });
});
