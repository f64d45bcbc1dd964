/** The service's CloudWatch metrics (SPEC §14): what is counted, and its EMF implementation. */
export { EmfMetrics, METRICS_NAMESPACE } from "./emf.js";
export { NO_METRICS, type RefusalReason, type RequestOutcome, type ServiceMetrics } from "./metrics.js";
