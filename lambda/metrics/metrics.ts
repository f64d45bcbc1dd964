import type { Dependency } from "../errors.js";

/** The namespace of the service's CloudWatch metrics. */
export const METRICS_NAMESPACE = "MantleVend";

/** Why a request was refused, as the `Refused` metric's `reason` dimension names it (SPEC §14). */
export const REFUSAL_REASONS = ["unauthenticated", "forbidden", "rate_limited", "quota_exceeded", "bad_request", "not_found"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** One answered request, as the HTTP layer knows it when it answers. */
export interface RequestOutcome {
  /** A token was issued. */
  minted: boolean;
  refused?: RefusalReason;
  /** Answered 5xx. */
  serverError: boolean;
  /** The dependency whose failure the answer is (a 503), when one is. */
  dependency?: Dependency;
  /** Who asked and which request: metadata, never dimensions (principals are unbounded). */
  metadata: Readonly<Record<string, string>>;
}

/**
 * The service's metrics (SPEC §14): a few counts with low-cardinality dimensions (reason, dependency,
 * region), so their number stays fixed however many principals there are.
 */
export interface ServiceMetrics {
  request(outcome: RequestOutcome): void;
  /** A dependency failed and the service carried on (the limits table failing open, say). */
  dependencyError(dependency: Dependency): void;
  /** A region's catalog after a scheduled refresh: its age (NaN: unknown), and whether this refresh failed. */
  catalog(region: string, ageSeconds: number, failed: boolean): void;
  coldStart(): void;
}

export const NO_METRICS: ServiceMetrics = {
  request: () => undefined,
  dependencyError: () => undefined,
  catalog: () => undefined,
  coldStart: () => undefined,
};
