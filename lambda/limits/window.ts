import type { RateLimit } from "../grants/index.js";

/**
 * The fixed window a fleet-wide rate limit is counted in: at most `cap` admissions per
 * `widthSeconds`-second window of the epoch, counted in one item of the limits table per principal per
 * window, so each admission is one conditional write and no read.
 *
 * Why it holds "over any 10-second window at most burst + perSecond × 10 admitted, with a 10 %
 * allowance" (SPEC §14). Let L = burst + 10 × perSecond.
 * - L ≥ 10: one-second windows with cap c = ⌊L / 10⌋. Any 10-second interval [t, t + 10) meets at most
 *   11 one-second windows, so it admits at most 11c ≤ 1.1 L. A sustained caller gets c ≥ ⌊perSecond⌋
 *   per second, and a burst of up to c at once (perSecond + burst / 10): the container's own bucket
 *   still allows the full burst per container.
 * - L < 10 (under one request a second with a small burst): ten-second windows with cap
 *   c = max(1, ⌊0.55 L⌋). Any 10-second interval meets at most 2 of them: at most 2c ≤ 1.1 L when
 *   L ≥ 2/1.1; below that (a burst of 1 at under 0.082/s) one admission per window, 2 per 10 s, is the
 *   least a counter can allow.
 * Containers' clocks (Lambda's, NTP-synchronised) agree to milliseconds, so their windows coincide.
 */
export interface RateWindow {
  widthSeconds: number;
  cap: number;
}

export function rateWindow(limit: RateLimit): RateWindow {
  const perTenSeconds = limit.burst + 10 * limit.perSecond;
  if (perTenSeconds >= 10) return { widthSeconds: 1, cap: Math.floor(perTenSeconds / 10) };
  return { widthSeconds: 10, cap: Math.max(1, Math.floor(0.55 * perTenSeconds)) };
}

/** The epoch second a window starts at. */
export function windowStart(nowMs: number, window: RateWindow): number {
  return Math.floor(nowMs / 1000 / window.widthSeconds) * window.widthSeconds;
}

const DAY_MS = 86_400_000;

/** The UTC day of an instant, `YYYY-MM-DD`: the day a quota counts in. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** When the day of `nowMs` ends and its quota resets: the next UTC midnight. */
export function nextUtcMidnight(nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
}

/** Whole seconds from `nowMs` until `atMs`, at least 1 (what `retry-after` carries). */
export function secondsUntil(nowMs: number, atMs: number): number {
  return Math.max(1, Math.ceil((atMs - nowMs) / 1000));
}
