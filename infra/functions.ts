import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { DEFAULT_CATALOG_TTL_SECONDS } from "../lambda/config.js";
import type { ResolvedProps } from "./props.js";

// Resolved from this file rather than process.cwd() so synthesis works from any directory.
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const LAMBDA_DIR = fileURLToPath(new URL("../lambda/", import.meta.url));

function entryPath(file: string): string {
  const path = `${LAMBDA_DIR}${file}`;
  if (!existsSync(path)) throw new Error(`MantleTokenVendor: Lambda entry ${path} not found`);
  return path;
}

export function logGroup(scope: Construct, id: string, config: Pick<ResolvedProps, "logRetention" | "logRemovalPolicy">): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: config.logRetention, removalPolicy: config.logRemovalPolicy });
}

/** How long a region's catalog is served before it is fetched again: the refresh interval, or the default TTL without a schedule. */
export function catalogTtlSeconds(config: ResolvedProps): number {
  return config.refreshIntervalMinutes === null ? DEFAULT_CATALOG_TTL_SECONDS : config.refreshIntervalMinutes * 60;
}

/** The environment both functions read at start-up (lambda/config.ts validates it). */
export function serviceEnvironment(config: ResolvedProps): Record<string, string> {
  return {
    MANTLE_VEND_PARAMETER_PREFIX: config.parameterPrefix,
    MANTLE_VEND_REGIONS: config.regions.join(","),
    MANTLE_VEND_DEFAULT_TTL_SECONDS: String(config.defaultTtlSeconds),
    MANTLE_VEND_MAX_TTL_SECONDS: String(config.maxTtlSeconds),
    MANTLE_VEND_CATALOG_TTL_SECONDS: String(catalogTtlSeconds(config)),
    POWERTOOLS_SERVICE_NAME: "mantle-vend",
  };
}

/** What the API function advertises at GET /v1/identity for `mantle-vend login`; nothing without a login prop. */
export function loginEnvironment(config: ResolvedProps): Record<string, string> {
  if (config.login === undefined) return {};
  return {
    MANTLE_VEND_LOGIN_ISSUER: config.login.issuer,
    MANTLE_VEND_LOGIN_CLIENT_ID: config.login.clientId,
    MANTLE_VEND_LOGIN_SCOPES: config.login.scopes.join(" "),
  };
}

export interface ServiceFunctionOptions {
  /** The entry point under lambda/, e.g. `handler.ts`. */
  entry: string;
  description: string;
  timeout: Duration;
  role: iam.IRole;
  logGroup: logs.ILogGroup;
  environment: Record<string, string>;
  reservedConcurrentExecutions?: number;
}

/** One of the service's functions: arm64, nodejs24.x, an ESM bundle with `@aws-sdk/*` left to the runtime. */
export function serviceFunction(scope: Construct, id: string, options: ServiceFunctionOptions): NodejsFunction {
  const { entry, ...rest } = options;
  const fn = new NodejsFunction(scope, id, {
    ...rest,
    entry: entryPath(entry),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    handler: "handler",
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    bundling: {
      format: OutputFormat.ESM,
      minify: true,
      sourceMap: false,
      target: "node24",
      mainFields: ["module", "main"],
      // The nodejs24.x runtime ships AWS SDK v3; bundling it would only grow the cold start.
      externalModules: ["@aws-sdk/*"],
      // @aws/bedrock-token-generator is CommonJS and require()s @aws-sdk/credential-providers;
      // an ESM bundle has no `require` unless one is created.
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      // Offline machines without Docker: always bundle with the locally installed esbuild.
      forceDockerBundling: false,
    },
  });
  // CDK makes the function DependsOn its role, which the role's ARN (GetAtt) already orders: cfn-lint
  // reports the duplicate (W3005). The role's policies are inline, so that is the only DependsOn it has.
  const cfnFunction = fn.node.defaultChild;
  if (cfnFunction instanceof lambda.CfnFunction) cfnFunction.addDeletionOverride("DependsOn");
  return fn;
}

/** The EventBridge rule that runs the refresh every `minutes`. */
export function refreshSchedule(scope: Construct, target: lambda.IFunction, minutes: number): events.Rule {
  // Schedule.rate() would rewrite 60 minutes as "1 hour"; keep the configured unit visible.
  return new events.Rule(scope, "RefreshSchedule", {
    description: "mantle-vend: periodic model catalog refresh",
    schedule: events.Schedule.expression(`rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`),
    targets: [new targets.LambdaFunction(target)],
  });
}
