import { MetricUnit, Metrics } from "@aws-lambda-powertools/metrics";
import type { Dependency } from "../errors.js";
import { METRICS_NAMESPACE, type RequestOutcome, type ServiceMetrics } from "./metrics.js";

/**
 * Powertools Metrics in CloudWatch's embedded metric format: each count is its own EMF line, written
 * when it happens, so a line's dimensions (and metadata) belong to that count alone and nothing is
 * left unpublished when Lambda freezes the container. Powertools adds its constant `service`
 * dimension to every metric; it adds no combinations.
 */
export class EmfMetrics implements ServiceMetrics {
  private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "mantle-vend" });

  request(outcome: RequestOutcome): void {
    if (outcome.minted) this.emit("TokensMinted", {}, outcome.metadata);
    if (outcome.refused !== undefined) this.emit("Refused", { reason: outcome.refused }, outcome.metadata);
    if (outcome.serverError) this.emit("ServerErrors", {}, outcome.metadata);
    if (outcome.dependency !== undefined) this.dependencyError(outcome.dependency, outcome.metadata);
  }

  dependencyError(dependency: Dependency, metadata: Readonly<Record<string, string>> = {}): void {
    this.emit("DependencyErrors", { dependency }, metadata);
  }

  catalog(region: string, ageSeconds: number, failed: boolean): void {
    if (Number.isFinite(ageSeconds)) {
      // The age is also published without the region, so one alarm watches the oldest catalog: alarms
      // cannot combine more than ten metrics, and a deployment serves up to twelve regions.
      this.metrics.addDimension("region", region);
      this.metrics.addDimensions({});
      this.metrics.addMetric("CatalogAgeSeconds", MetricUnit.Seconds, Math.max(0, Math.round(ageSeconds)));
      this.metrics.publishStoredMetrics();
    }
    this.emit("CatalogRefreshFailures", { region }, {}, failed ? 1 : 0);
  }

  coldStart(): void {
    this.metrics.captureColdStartMetric();
  }

  private emit(name: string, dimensions: Readonly<Record<string, string>>, metadata: Readonly<Record<string, string>>, value = 1): void {
    for (const [key, dimension] of Object.entries(dimensions)) this.metrics.addDimension(key, dimension);
    for (const [key, data] of Object.entries(metadata)) this.metrics.addMetadata(key, data);
    this.metrics.addMetric(name, MetricUnit.Count, value);
    this.metrics.publishStoredMetrics();
  }
}
