/** One counter of the limits table: a partition key and a sort key (DynamoDB's item key). */
export interface Counter {
  pk: string;
  sk: string;
}

/** The abort signal of an admission's deadline, made on first use. */
export type Deadline = () => AbortSignal;

/** A counter that also says who it is for, so `usage` can show it. */
export interface CountRequest {
  counter: Counter;
  /** Refuse when the count has reached this; undefined: no cap. */
  cap?: number;
  /** Epoch seconds after which the item may be deleted (DynamoDB TTL). */
  expiresAtSeconds: number;
  /** Attributes written with the count (a principal's name and quota); null removes one. */
  attributes?: Readonly<Record<string, string | number | null>>;
}

/**
 * The narrow interface the fleet limits count through: the DynamoDB table in Lambda, a file in
 * `npm start`'s data dir. Failures leave as LimitsUnavailableError (dependency "dynamodb").
 */
export interface CounterStore {
  /**
   * Adds one unless the count has reached the cap; the new count, or undefined when refused.
   * `deadline()` gives the signal that ends a call still running at the admission's deadline; a store
   * that makes no network call never asks for it (and so starts no timer).
   */
  increment(request: CountRequest, deadline?: Deadline): Promise<number | undefined>;
  /** Takes one back: a request that was counted but issued no token. */
  decrement(counter: Counter, deadline?: Deadline): Promise<void>;
}

/** One principal's mints on one UTC day, as `mantle-vend-admin usage` lists them. */
export interface UsageRow {
  principal: string;
  name: string;
  mints: number;
  quota: number | null;
}

/** Reads a day's usage (the admin CLI; never the API, whose role may not query the table). */
export interface UsageSource {
  day(day: string): Promise<UsageRow[]>;
}

/** The attribute names of a counter item. */
export const COUNT = "count";
export const EXPIRES_AT = "expiresAt";
export const NAME = "name";
export const QUOTA = "quota";

/** A principal's count in one rate window (window start in epoch seconds). */
export const rateCounter = (principal: string, windowStartSeconds: number): Counter => ({ pk: `rate#${principal}`, sk: String(windowStartSeconds) });

/** A principal's mints on one UTC day: all principals of a day share a partition, so `usage` is one query. */
export const dayCounter = (principal: string, day: string): Counter => ({ pk: `day#${day}`, sk: principal });

/** Day counters are kept this long for `usage` (then DynamoDB's TTL deletes them). */
export const USAGE_RETENTION_SECONDS = 90 * 86_400;
