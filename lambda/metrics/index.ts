/** The service's CloudWatch metrics (SPEC §14): what is counted, and its EMF implementation. */
export { EmfMetrics } from "./emf.js";
export { METRICS_NAMESPACE, NO_METRICS, REFUSAL_REASONS, type RefusalReason, type ServiceMetrics } from "./metrics.js";
