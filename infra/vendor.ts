import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { VendorAlarms } from "./alarms.js";
import { vendorDashboard } from "./dashboard.js";
import { LimitsTable } from "./limits.js";
import { VendorQueries } from "./queries.js";
import { catalogTtlSeconds, logGroup, loginEnvironment, refreshSchedule, serviceEnvironment, serviceFunction } from "./functions.js";
import { acknowledgeCountersWithoutBackup, acknowledgeUnavoidableWildcards } from "./nag.js";
import {
  decryptKeysStatement,
  executionRole,
  listModelsStatements,
  logStatement,
  mantleStatements,
  readParametersStatements,
  tokenRole,
  writeCatalogsStatement,
} from "./policies.js";
import { resolveProps, type MantleTokenVendorProps } from "./props.js";

export type { MantleTokenVendorProps } from "./props.js";

/**
 * Token vending and model discovery for Amazon Bedrock Mantle: an API function behind a
 * function URL, a scheduled catalog refresh function, their log groups and least-privilege roles.
 */
export class MantleTokenVendor extends Construct {
  /** The API function behind the function URL. */
  public readonly apiFunction: NodejsFunction;
  /** The catalog refresh function (always created; only its schedule is optional). */
  public readonly refreshFunction: NodejsFunction;
  /** Public HTTPS endpoint of the API function (auth NONE: API keys are checked in the handler). */
  public readonly functionUrl: lambda.FunctionUrl;
  /** Execution role of the API function. */
  public readonly role: iam.Role;
  /** Execution role of the refresh function. */
  public readonly refreshRole: iam.Role;
  /** Schedule that invokes the refresh function; undefined when `catalogRefreshInterval` is null. */
  public readonly schedule?: events.Rule;
  /** Role that signs tokens in attribution mode; undefined otherwise. */
  public readonly tokenRole?: iam.Role;
  public readonly apiLogGroup: logs.LogGroup;
  public readonly refreshLogGroup: logs.LogGroup;
  /** Fires when a scheduled refresh fails (in every region). */
  public readonly refreshErrorsAlarm: cloudwatch.Alarm;
  /** Fires when the API answers 5xx to more than 5 % of its requests. */
  public readonly api5xxAlarm: cloudwatch.Alarm;
  /** Fires when a region's catalog is older than three refresh intervals. */
  public readonly catalogStaleAlarm: cloudwatch.Alarm;
  /** Fires when dependencies (SSM, STS, DynamoDB, JWKS, Mantle) keep failing. */
  public readonly dependencyErrorsAlarm: cloudwatch.Alarm;
  /** Tokens minted, refusals by reason, 5xx share, duration, catalog age per region, dependency errors. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The fleet-wide limits' table; undefined when `fleetLimits` is false. */
  public readonly limitsTable?: dynamodb.Table;
  /** Saved Logs Insights queries over the API's request log. */
  public readonly queries: VendorQueries;
  /** The validated parameter prefix. */
  public readonly parameterPrefix: string;
  /** The validated region allowlist. */
  public readonly regions: readonly string[];

  constructor(scope: Construct, id: string, props: MantleTokenVendorProps = {}) {
    super(scope, id);
    const config = resolveProps(props);
    const { parameterPrefix: prefix, regions } = config;
    this.parameterPrefix = prefix;
    this.regions = regions;

    this.apiLogGroup = logGroup(this, "ApiLogGroup", config);
    this.refreshLogGroup = logGroup(this, "RefreshLogGroup", config);

    const limits = config.fleetLimits ? new LimitsTable(this, "Limits", { prefix }) : undefined;
    this.limitsTable = limits?.table;

    this.role = executionRole(this, "ApiRole", {
      description: "mantle-vend API function: reads its own parameters and signs Mantle tokens",
      policyName: "MantleVendApi",
      statements: [
        ...readParametersStatements(prefix),
        decryptKeysStatement(),
        writeCatalogsStatement(prefix),
        logStatement(this.apiLogGroup),
        ...(config.perKeyAttribution ? [] : mantleStatements(regions)),
        ...(limits === undefined ? [] : [limits.countStatement()]),
      ],
    });
    this.refreshRole = executionRole(this, "RefreshRole", {
      description: "mantle-vend catalog refresh: reads its parameters, writes catalogs, lists Mantle models",
      policyName: "MantleVendRefresh",
      // No kms:Decrypt: the refresh reads catalogs (String parameters), never the keys. It signs
      // with its own role in both modes (the token role trusts only the API role, and a catalog
      // listing is not attributable to any key), and its tokens only list models.
      statements: [...readParametersStatements(prefix), writeCatalogsStatement(prefix), logStatement(this.refreshLogGroup), ...listModelsStatements(regions)],
    });
    if (config.perKeyAttribution) this.tokenRole = tokenRole(this, this.role, regions);

    const environment = serviceEnvironment(config);
    const apiEnvironment: Record<string, string> = {
      ...environment,
      ...loginEnvironment(config),
      ...(this.tokenRole ? { MANTLE_VEND_TOKEN_ROLE_ARN: this.tokenRole.roleArn } : {}),
      ...(limits === undefined ? {} : { MANTLE_VEND_LIMITS_TABLE: limits.table.tableName, MANTLE_VEND_LIMITS_FAILURE: config.fleetLimitsFailure }),
    };
    this.apiFunction = serviceFunction(this, "ApiFunction", {
      entry: "handler.ts",
      description: "mantle-vend: vends Mantle bearer tokens and model catalogs",
      timeout: Duration.seconds(10),
      role: this.role,
      logGroup: this.apiLogGroup,
      environment: apiEnvironment,
      ...(config.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: config.reservedConcurrency } : {}),
    });
    this.refreshFunction = serviceFunction(this, "RefreshFunction", {
      entry: "refresh.ts",
      description: "mantle-vend: refreshes every region's model catalog in Parameter Store",
      timeout: Duration.seconds(60),
      role: this.refreshRole,
      logGroup: this.refreshLogGroup,
      environment,
    });
    this.functionUrl = this.apiFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    if (config.refreshIntervalMinutes !== null) {
      this.schedule = refreshSchedule(this, this.refreshFunction, config.refreshIntervalMinutes);
    }

    const alarms = new VendorAlarms(this, "Alarms", {
      apiFunction: this.apiFunction,
      refreshFunction: this.refreshFunction,
      ...(config.alarmTopic === undefined ? {} : { topic: config.alarmTopic }),
      refreshInterval: Duration.seconds(catalogTtlSeconds(config)),
    });
    this.refreshErrorsAlarm = alarms.refreshErrors;
    this.api5xxAlarm = alarms.api5xx;
    this.catalogStaleAlarm = alarms.catalogStale;
    this.dependencyErrorsAlarm = alarms.dependencyErrors;
    this.dashboard = vendorDashboard(this, {
      apiFunction: this.apiFunction,
      regions,
      alarms: [this.refreshErrorsAlarm, this.api5xxAlarm, this.catalogStaleAlarm, this.dependencyErrorsAlarm],
    });
    this.queries = new VendorQueries(this, "Queries", { apiLogGroup: this.apiLogGroup });

    if (limits !== undefined) acknowledgeCountersWithoutBackup(limits.table);
    acknowledgeUnavoidableWildcards({
      prefix,
      regions,
      parameterReaders: [this.role, this.refreshRole],
      keyReaders: [this.role],
      signers: [this.tokenRole ?? this.role],
      listers: [this.refreshRole],
    });
  }
}
