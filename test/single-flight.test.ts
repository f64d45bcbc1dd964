import { describe, expect, it } from "vitest";
import { SingleFlight } from "../lambda/single-flight.js";

describe("concurrent callers of the same key share one run", () => {
  it("runs the work once for callers that overlap, and again once it settled", async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release: (value: number) => void = () => undefined;
    const work = (): Promise<number> => {
      runs += 1;
      return new Promise((resolve) => (release = resolve));
    };
    const first = flights.run("a", work);
    const second = flights.run("a", work);
    expect(flights.current("a")).toBe(first);
    release(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(runs).toBe(1);
    expect(flights.current("a")).toBeUndefined();
    const third = flights.run("a", work);
    release(8);
    expect(await third).toBe(8);
    expect(runs).toBe(2);
  });

  it("keeps different keys apart, and forgets a failed run so the next call tries again", async () => {
    const flights = new SingleFlight<string>();
    await expect(flights.run("x", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(flights.current("x")).toBeUndefined();
    const [x, y] = await Promise.all([flights.run("x", async () => "x"), flights.run("y", async () => "y")]);
    expect([x, y]).toEqual(["x", "y"]);
  });
});
