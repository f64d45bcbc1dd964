import type { Clock } from "../clock.js";
import type { RateLimit } from "./grant.js";

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/**
 * A token bucket per principal, per container: `burst` requests at once and `perSecond`
 * sustained. Only authenticated principals get a bucket, so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  take(principalId: string, limit: RateLimit): Admission {
    const now = this.clock();
    const bucket = this.buckets.get(principalId) ?? { tokens: limit.burst, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsedSeconds * limit.perSecond);
    bucket.updatedAt = now;
    this.buckets.set(principalId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { admitted: true };
    }
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  }
}
