import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { dependencyErrors, serviceMetric } from "./metrics.js";

/** Share of function-URL requests answered 5xx that raises the API alarm, in percent. */
const API_5XX_PERCENT_THRESHOLD = 5;
/** Below this many requests in a period the 5xx share is noise, not an outage. */
const API_MIN_REQUESTS = 10;
const PERIOD = Duration.minutes(5);
/** Dependency failures in a five-minute period that make an outage, not a blip a retry absorbed. */
const DEPENDENCY_ERRORS_THRESHOLD = 5;

/**
 * The alarms an operator needs: the scheduled refresh failing (its invocation fails only
 * when every region failed), the API answering 5xx to a real share of its callers, a catalog
 * going stale, and dependencies failing (even when the service degrades around them). The
 * API alarm reads the function URL's own metrics (Url5xxCount / UrlRequestCount), which count
 * the handler's 502/503/500 answers as well as Lambda's crashes, timeouts and throttles; the
 * function's Errors metric would miss the handler's answers, which never throw.
 */
export class VendorAlarms extends Construct {
  public readonly refreshErrors: cloudwatch.Alarm;
  public readonly api5xx: cloudwatch.Alarm;
  public readonly catalogStale: cloudwatch.Alarm;
  public readonly dependencyErrors: cloudwatch.Alarm;

  constructor(
    scope: Construct,
    id: string,
    props: {
      apiFunction: lambda.IFunction;
      refreshFunction: lambda.IFunction;
      topic?: sns.ITopic;
      /** How often the refresh runs (the catalog TTL when it does not): the catalog's age is judged by it. */
      refreshInterval: Duration;
    },
  ) {
    super(scope, id);
    this.refreshErrors = props.refreshFunction.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }).createAlarm(this, "RefreshErrors", {
      alarmDescription: "mantle-vend: the scheduled catalog refresh failed in every region (catalogs go stale)",
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const urlMetric = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: "AWS/Lambda",
        metricName,
        dimensionsMap: { FunctionName: props.apiFunction.functionName },
        statistic: cloudwatch.Stats.SUM,
        period: PERIOD,
      });
    const share = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${API_MIN_REQUESTS}, 100 * errors / requests, 0)`,
      usingMetrics: { errors: urlMetric("Url5xxCount"), requests: urlMetric("UrlRequestCount") },
      label: "5xx share of function URL requests (%)",
      period: PERIOD,
    });
    this.api5xx = share.createAlarm(this, "Api5xxRate", {
      alarmDescription: `mantle-vend: more than ${API_5XX_PERCENT_THRESHOLD} % of function URL requests answered 5xx in 2 of 3 five-minute periods`,
      threshold: API_5XX_PERCENT_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The oldest catalog (the refresh publishes each region's age, and the same values without the
    // region) older than three refresh intervals: some region has not been refreshed for that long.
    // Without a datapoint (no refresh ran) the alarm keeps its state: refreshErrorsAlarm and the
    // schedule's own health cover a refresh that does not run.
    const interval = props.refreshInterval.toSeconds();
    const period = Duration.seconds(Math.min(86_400, Math.max(300, Math.ceil(interval / 60) * 60)));
    this.catalogStale = serviceMetric("CatalogAgeSeconds", { statistic: cloudwatch.Stats.MAXIMUM, period }).createAlarm(this, "CatalogStale", {
      alarmDescription: `mantle-vend: a region's catalog is older than three refresh intervals (${3 * interval} s); clients get stale model lists`,
      threshold: 3 * interval,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.dependencyErrors = dependencyErrors(PERIOD).createAlarm(this, "DependencyErrors", {
      alarmDescription: `mantle-vend: at least ${DEPENDENCY_ERRORS_THRESHOLD} dependency failures (SSM, STS, DynamoDB, JWKS, Mantle) in 2 of 3 five-minute periods`,
      threshold: DEPENDENCY_ERRORS_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.topic !== undefined) {
      const action = new actions.SnsAction(props.topic);
      for (const alarm of [this.refreshErrors, this.api5xx, this.catalogStale, this.dependencyErrors]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
