import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { dependencyErrors, DEPENDENCIES, REFUSAL_REASONS, serviceMetric } from "./metrics.js";

const PERIOD = Duration.minutes(5);

/**
 * The operator's one page (docs/operations.md, "Dashboard"): tokens minted, refusals by reason, the
 * 5xx share, the API's duration, each region's catalog age and dependency errors, with the alarms.
 */
export function vendorDashboard(
  scope: Construct,
  props: { apiFunction: lambda.IFunction; regions: readonly string[]; alarms: readonly cloudwatch.IAlarm[] },
): cloudwatch.Dashboard {
  const lambdaMetric = (metricName: string, statistic: string): cloudwatch.Metric =>
    new cloudwatch.Metric({ namespace: "AWS/Lambda", metricName, dimensionsMap: { FunctionName: props.apiFunction.functionName }, statistic, period: PERIOD });
  const dashboard = new cloudwatch.Dashboard(scope, "Dashboard", { defaultInterval: Duration.hours(24) });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: "Tokens minted", left: [serviceMetric("TokensMinted", { label: "tokens" })], width: 12 }),
    new cloudwatch.GraphWidget({
      title: "Refusals by reason",
      left: REFUSAL_REASONS.map((reason) => serviceMetric("Refused", { dimensions: { reason }, label: reason })),
      stacked: true,
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "5xx share of requests (%)",
      left: [
        new cloudwatch.MathExpression({
          expression: "IF(requests > 0, 100 * errors / requests, 0)",
          usingMetrics: { errors: lambdaMetric("Url5xxCount", cloudwatch.Stats.SUM), requests: lambdaMetric("UrlRequestCount", cloudwatch.Stats.SUM) },
          label: "5xx %",
          period: PERIOD,
        }),
      ],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: "API duration p50 / p99 (ms)",
      left: [lambdaMetric("Duration", cloudwatch.Stats.percentile(50)), lambdaMetric("Duration", cloudwatch.Stats.percentile(99))],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Catalog age per region (s)",
      left: props.regions.map((region) => serviceMetric("CatalogAgeSeconds", { dimensions: { region }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1), label: region })),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: "Dependency errors",
      left: [...DEPENDENCIES.map((dependency) => serviceMetric("DependencyErrors", { dimensions: { dependency }, label: dependency })), dependencyErrors(PERIOD)],
      width: 12,
    }),
  );
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: 24 }));
  return dashboard;
}
