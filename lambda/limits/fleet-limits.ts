import { DependencyUnavailableError, QuotaExceededError, RateLimitedError, type LimitHeaders } from "../errors.js";
import type { Principal, RateLimit } from "../grants/index.js";
import { describeError, type Log } from "../logger.js";
import type { Clock } from "../clock.js";
import { dayCounter, NAME, QUOTA, rateCounter, USAGE_RETENTION_SECONDS, type CounterStore, type Deadline } from "./counters.js";
import { rateLimitHeaders, type LimitState } from "./headers.js";
import { nextUtcMidnight, rateWindow, secondsUntil, utcDay, windowStart } from "./window.js";

/** What a principal's grant allows it across the fleet (the grants' answer, handed in by the issuer). */
export interface Allowance {
  rateLimit: RateLimit;
  /** Undefined: no daily quota (the day's mints are still counted, for `usage`). */
  mintsPerDay?: number;
}

/** An admitted request: the headers its answer carries, and how to give its count back if no token is issued. */
export interface Admission {
  headers: LimitHeaders;
  release(): Promise<void>;
}

/** What the table's failure does: admit and count the failure (`open`) or answer 503 (`closed`). */
type FailureMode = "open" | "closed";

export interface FleetLimitsOptions {
  failure: FailureMode;
  /** The most an admission may take (both writes); past it the table counts as failed. */
  budgetMs: number;
  /** Told of each failure of the table the request outlives (failing open, a count not given back): the DependencyErrors metric. */
  onDependencyError: (error: DependencyUnavailableError) => void;
  /** Starts the budget's timer; tests drive it. */
  timeoutSignal?: (ms: number) => AbortSignal;
}

const NO_RELEASE = async (): Promise<void> => undefined;

function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException("the limits' budget passed", "TimeoutError")), ms).unref();
  return controller.signal;
}

/**
 * Fleet-wide limits (SPEC §14): each principal's rate limit across every container, counted in fixed
 * windows (window.ts says why they hold), and its daily quota, exactly, per UTC day. An admitted token
 * request costs two conditional writes and no read; a request this container already knows to be over
 * a limit (the window or the day it was refused in) costs none. The per-container bucket in front
 * (Grants.admit) refuses a flood before it gets here.
 */
export class FleetLimits {
  /** Per principal: the day and fleet-wide count this container last saw (for `/v1/whoami`). */
  private readonly seen = new Map<string, { day: string; count: number }>();
  /** Per principal: the rate window, or day and quota, this container was refused in. */
  private readonly spentWindow = new Map<string, string>();
  private readonly spentDay = new Map<string, string>();
  private readonly timeoutSignal: (ms: number) => AbortSignal;

  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly options: FleetLimitsOptions,
  ) {
    this.timeoutSignal = options.timeoutSignal ?? timeoutSignal;
  }

  /**
   * Counts one token request of the principal against its rate window, then its day. Throws
   * RateLimitedError or QuotaExceededError (429) when over, DependencyUnavailableError (503) when the
   * table fails in `closed` mode.
   */
  async admit(principal: Pick<Principal, "id" | "kind" | "name">, allowance: Allowance): Promise<Admission> {
    const now = this.clock();
    const window = rateWindow(allowance.rateLimit);
    const start = windowStart(now, window);
    const windowEndMs = (start + window.widthSeconds) * 1000;
    const day = utcDay(now);
    const midnight = nextUtcMidnight(now);
    const quota = allowance.mintsPerDay;
    const states = (rate?: number, mints?: number): LimitState[] => [
      { policy: "rate", quota: window.cap, windowSeconds: window.widthSeconds, ...(rate === undefined ? {} : { remaining: window.cap - rate, resetSeconds: secondsUntil(now, windowEndMs) }) },
      ...(quota === undefined
        ? []
        : [{ policy: "day" as const, quota, windowSeconds: 86_400, ...(mints === undefined ? {} : { remaining: quota - mints, resetSeconds: secondsUntil(now, midnight) }) }]),
    ];
    const who = principal.kind === "key" ? "this key" : "this identity";
    const rateRefusal = (): RateLimitedError =>
      new RateLimitedError(`fleet-wide rate limit exceeded for ${who}`, secondsUntil(now, windowEndMs), rateLimitHeaders(states(window.cap)));
    const quotaRefusal = (): QuotaExceededError =>
      new QuotaExceededError(
        `daily token quota of ${quota} reached for ${who}; it resets at ${new Date(midnight).toISOString()}`,
        secondsUntil(now, midnight),
        new Date(midnight),
        rateLimitHeaders(states(undefined, quota)),
      );
    const dayKey = `${day}|${quota}`;
    if (this.spentWindow.get(principal.id) === String(start)) throw rateRefusal();
    if (quota !== undefined && this.spentDay.get(principal.id) === dayKey) throw quotaRefusal();

    const deadline = this.deadline();
    let rate: number | undefined;
    let mints: number | undefined;
    try {
      rate = await this.store.increment({ counter: rateCounter(principal.id, start), cap: window.cap, expiresAtSeconds: start + window.widthSeconds + 60 }, deadline);
      if (rate === undefined) {
        this.spentWindow.set(principal.id, String(start));
        throw rateRefusal();
      }
      const counter = dayCounter(principal.id, day);
      mints = await this.store.increment(
        {
          counter,
          ...(quota === undefined ? {} : { cap: quota }),
          expiresAtSeconds: Math.floor(midnight / 1000) + USAGE_RETENTION_SECONDS,
          attributes: { [NAME]: principal.name, [QUOTA]: quota ?? null },
        },
        deadline,
      );
      if (mints === undefined) {
        this.spentDay.set(principal.id, dayKey);
        throw quotaRefusal();
      }
      this.seen.set(principal.id, { day, count: mints });
      return { headers: rateLimitHeaders(states(rate, mints)), release: () => this.release(principal.id, day) };
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      this.failed(error);
      // Open: the limits are a guard, not the service; what was counted stays counted.
      return { headers: rateLimitHeaders(states(rate, mints)), release: mints === undefined ? NO_RELEASE : () => this.release(principal.id, day) };
    }
  }

  /** The principal's mints today as this container last counted them (no call: SPEC §14). */
  mintsToday(principalId: string): number {
    const seen = this.seen.get(principalId);
    return seen !== undefined && seen.day === utcDay(this.clock()) ? seen.count : 0;
  }

  private async release(principalId: string, day: string): Promise<void> {
    try {
      await this.store.decrement(dayCounter(principalId, day), this.deadline());
      const seen = this.seen.get(principalId);
      if (seen?.day === day) seen.count = Math.max(0, seen.count - 1);
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      // The request already failed; an unreturned count costs the principal one mint of its day.
      this.options.onDependencyError(error);
      this.log.warn("limits: could not give back a count", { ...describeError(error), principal: principalId });
    }
  }

  /** The signal of a budget starting now, made (and its timer started) only if a store asks for it. */
  private deadline(): Deadline {
    let signal: AbortSignal | undefined;
    const startedAt = this.clock();
    return () => (signal ??= this.timeoutSignal(Math.max(0, this.options.budgetMs - (this.clock() - startedAt))));
  }

  private failed(error: DependencyUnavailableError): void {
    this.log.warn(`limits table unavailable; failing ${this.options.failure}`, describeError(error));
    // Closed: the 503 answer is the failure, counted where answers are; open: it is counted here.
    if (this.options.failure === "closed") {
      throw new DependencyUnavailableError("the fleet limits cannot be checked", { cause: error, dependency: "dynamodb" });
    }
    this.options.onDependencyError(error);
  }
}
