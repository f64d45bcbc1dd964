import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextUtcMidnight, rateWindow, utcDay, windowStart } from "../../lambda/limits/index.js";

/**
 * The fixed-window counter, simulated over arbitrary arrivals from any number of containers: the
 * admitted requests of any 10-second interval stay within burst + perSecond × 10, plus 10 %.
 */
function admitted(limit: { perSecond: number; burst: number }, arrivals: number[]): number[] {
  const window = rateWindow(limit);
  const counts = new Map<number, number>();
  return arrivals
    .sort((a, b) => a - b)
    .filter((at) => {
      const start = windowStart(at, window);
      const count = counts.get(start) ?? 0;
      if (count >= window.cap) return false;
      counts.set(start, count + 1);
      return true;
    });
}

function worstTenSeconds(times: number[]): number {
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= 10_000) j += 1;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

describe("the fleet's rate window admits at most burst + perSecond × 10 (+10 %) in any 10 s", () => {
  it("holds for any limit of at least 10 per 10 s and any arrivals", () => {
    fc.assert(
      fc.property(
        fc.record({ perSecond: fc.double({ min: 0.05, max: 50, noNaN: true }), burst: fc.integer({ min: 1, max: 200 }) }).filter((l) => l.burst + 10 * l.perSecond >= 10),
        fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 600 }),
        (limit, arrivals) => {
          expect(worstTenSeconds(admitted(limit, arrivals))).toBeLessThanOrEqual(Math.floor((limit.burst + 10 * limit.perSecond) * 1.1));
        },
      ),
    );
  });

  it("holds for small limits down to 2/1.1 per 10 s, and never admits more than 2 in 10 s below that", () => {
    fc.assert(
      fc.property(
        fc.record({ perSecond: fc.double({ min: 0.001, max: 0.9, noNaN: true }), burst: fc.integer({ min: 1, max: 9 }) }).filter((l) => l.burst + 10 * l.perSecond < 10),
        fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 300 }),
        (limit, arrivals) => {
          const allowed = limit.burst + 10 * limit.perSecond;
          expect(worstTenSeconds(admitted(limit, arrivals))).toBeLessThanOrEqual(Math.max(2, Math.floor(allowed * 1.1)));
        },
      ),
    );
  });

  it.each<[{ perSecond: number; burst: number }, { widthSeconds: number; cap: number }]>([
    [{ perSecond: 5, burst: 10 }, { widthSeconds: 1, cap: 6 }],
    [{ perSecond: 10, burst: 100 }, { widthSeconds: 1, cap: 20 }],
    [{ perSecond: 0.5, burst: 2 }, { widthSeconds: 10, cap: 3 }],
    [{ perSecond: 0.01, burst: 1 }, { widthSeconds: 10, cap: 1 }],
  ])("%j is counted as %j", (limit, window) => {
    expect(rateWindow(limit)).toEqual(window);
  });

  it("lets the sustained rate through: a steady caller at perSecond is never refused", () => {
    const steady = Array.from({ length: 100 }, (_, i) => 1_000_000 + i * 200);
    expect(admitted({ perSecond: 5, burst: 10 }, steady)).toHaveLength(100);
  });
});

describe("quotas count per UTC day and reset at the next UTC midnight", () => {
  it.each([
    ["2026-11-25T23:59:59.999Z", "2026-11-25", "2026-11-26T00:00:00.000Z"],
    ["2026-11-26T00:00:00.000Z", "2026-11-26", "2026-11-27T00:00:00.000Z"],
    ["2028-02-28T12:00:00.000Z", "2028-02-28", "2028-02-29T00:00:00.000Z"],
  ])("%s is day %s, resetting at %s", (now, day, reset) => {
    expect(utcDay(Date.parse(now))).toBe(day);
    expect(new Date(nextUtcMidnight(Date.parse(now))).toISOString()).toBe(reset);
  });
});
