/** Fleet-wide rate limits, daily quotas and usage (SPEC §14): counted in DynamoDB, or in a file for npm start. */
export { type Counter, type CounterStore, type CountRequest, type Deadline, type UsageRow, type UsageSource } from "./counters.js";
export { DynamoDbCounters } from "./dynamodb.js";
export { LimitsUnavailableError } from "./errors.js";
export { FileCounters } from "./file.js";
export { FleetLimits, type Admission, type Allowance, type FailureMode, type FleetLimitsOptions } from "./fleet-limits.js";
export { rateLimitHeaders, type LimitState } from "./headers.js";
export { nextUtcMidnight, rateWindow, utcDay, windowStart, type RateWindow } from "./window.js";
