import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { DEPENDENCIES } from "../lambda/errors.js";
import { METRICS_NAMESPACE, REFUSAL_REASONS } from "../lambda/metrics/index.js";

export { DEPENDENCIES, REFUSAL_REASONS };

/** Powertools' constant `service` dimension, on every metric the functions publish. */
const SERVICE = { service: "mantle-vend" };


/** One of the service's own metrics (SPEC §14), as CloudWatch files it. */
export function serviceMetric(name: string, options: { dimensions?: Record<string, string>; statistic?: string; period?: Duration; label?: string } = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { ...SERVICE, ...options.dimensions },
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    ...(options.label === undefined ? {} : { label: options.label }),
  });
}

/** Every dependency's failures summed: what the dependency alarm and its dashboard line watch. */
export function dependencyErrors(period = Duration.minutes(5)): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(DEPENDENCIES.map((dependency) => [dependency, serviceMetric("DependencyErrors", { dimensions: { dependency }, period })]));
  return new cloudwatch.MathExpression({ expression: DEPENDENCIES.join(" + ").replace(/(\w+)/g, "FILL($1, 0)"), usingMetrics, label: "dependency errors (all)", period });
}
