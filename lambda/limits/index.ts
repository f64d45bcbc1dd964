/** Fleet-wide rate limits, daily quotas and usage (SPEC §14): counted in DynamoDB, or in a file for npm start. */
export { type Counter, type CounterStore, type CountRequest, type UsageSource } from "./counters.js";
export { DynamoDbCounters, type DynamoDbSdk } from "./dynamodb.js";
export { FileCounters } from "./file.js";
export { FleetLimits, type Admission } from "./fleet-limits.js";
export { nextUtcMidnight, rateWindow, utcDay, windowStart } from "./window.js";
