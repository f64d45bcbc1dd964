import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Aws, Duration, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat, type BundlingOptions } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { VendorAlarms } from "./alarms.js";
import { resolveProps, type MantleTokenVendorProps } from "./props.js";

export type { MantleTokenVendorProps } from "./props.js";

/** Fallback catalog TTL handed to the functions when the schedule is turned off (SPEC §6 default). */
const DEFAULT_CATALOG_TTL_SECONDS = 3600;

// Resolved from this file rather than process.cwd() so synthesis works from any directory.
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const LAMBDA_DIR = fileURLToPath(new URL("../lambda/", import.meta.url));

/**
 * Makes a trust statement that lets the wrapped ARN both assume the role and stamp the session
 * with a source identity (the key id), in one statement.
 */
class SourceIdentityPrincipal extends iam.ArnPrincipal {
  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(
      new iam.PolicyStatement({
        sid: "AssumeWithSourceIdentity",
        actions: ["sts:AssumeRole", "sts:SetSourceIdentity"],
        principals: [new iam.ArnPrincipal(this.arn)],
      }),
    );
  }
}

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
  /** The validated parameter prefix. */
  public readonly parameterPrefix: string;
  /** The validated region allowlist. */
  public readonly regions: readonly string[];

  constructor(scope: Construct, id: string, props: MantleTokenVendorProps = {}) {
    super(scope, id);
    const config = resolveProps(props);
    this.parameterPrefix = config.parameterPrefix;
    this.regions = config.regions;

    const prefix = config.parameterPrefix;
    // Pseudo parameters (not Stack.of(this).region) keep the ARNs, and so the cdk-nag finding
    // ids acknowledged below, identical whether or not the stack has a concrete environment.
    const parameterArn = (name: string): string =>
      `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter${name}`;
    const prefixArn = parameterArn(prefix);
    const underPrefixArn = parameterArn(`${prefix}/*`);
    const catalogsArn = parameterArn(`${prefix}/catalogs/*`);
    const kmsKeysArn = `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`;
    const mantleProjectArns = config.regions.map(
      (region) => `arn:${Aws.PARTITION}:bedrock-mantle:${region}:${Aws.ACCOUNT_ID}:project/*`,
    );

    const parameterReadStatements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: "ReadOwnParameters",
        actions: ["ssm:GetParameter", "ssm:GetParameters"],
        resources: [underPrefixArn],
      }),
      // GetParametersByPath is authorized against the *path* in the request, not the parameters
      // it returns; listing the prefix itself needs the prefix's own ARN. Either way it only
      // reaches what lies under the prefix.
      new iam.PolicyStatement({
        sid: "ListOwnParameterPaths",
        actions: ["ssm:GetParametersByPath"],
        resources: [prefixArn, underPrefixArn],
      }),
    ];
    const readStatements = (): iam.PolicyStatement[] => [
      ...parameterReadStatements(),
      // Keys are SecureStrings under the AWS managed key aws/ssm. Its key policy already lets account
      // principals decrypt through SSM; this statement states the need explicitly without widening it.
      // IAM cannot name a key by alias, so the key ARN is wildcarded and narrowed by alias and by
      // "only through SSM in this region".
      new iam.PolicyStatement({
        sid: "DecryptSecureStringsViaSsm",
        actions: ["kms:Decrypt"],
        resources: [kmsKeysArn],
        conditions: {
          StringEquals: { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` },
          "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/aws/ssm" },
        },
      }),
    ];
    // CallWithBearerToken has no resource type, so "*" is the only valid resource.
    const bearerTokenStatement = (): iam.PolicyStatement =>
      new iam.PolicyStatement({
        sid: "MantleBearerToken",
        actions: ["bedrock-mantle:CallWithBearerToken"],
        resources: ["*"],
      });
    const mantleStatements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: "MantleInference",
        actions: ["bedrock-mantle:CreateInference", "bedrock-mantle:Get*", "bedrock-mantle:List*"],
        resources: mantleProjectArns,
      }),
      bearerTokenStatement(),
    ];
    // The refresh only lists models with its tokens: no inference, no Get*.
    const listModelsStatements = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: "MantleListModels",
        actions: ["bedrock-mantle:List*"],
        resources: mantleProjectArns,
      }),
      bearerTokenStatement(),
    ];
    // Both functions store catalogs: the refresh on schedule, the API when a request finds a
    // region the store has no fresh copy of, so the next container (and the team) reuses it.
    const writeCatalogsStatement = (): iam.PolicyStatement =>
      new iam.PolicyStatement({
        sid: "WriteCatalogs",
        actions: ["ssm:PutParameter", "ssm:DeleteParameter"],
        resources: [catalogsArn],
      });
    const logStatement = (group: logs.ILogGroup): iam.PolicyStatement =>
      new iam.PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [group.logGroupArn],
      });

    this.apiLogGroup = new logs.LogGroup(this, "ApiLogGroup", {
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    });
    this.refreshLogGroup = new logs.LogGroup(this, "RefreshLogGroup", {
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    });

    // Explicit roles with inline policies replace the managed AWSLambdaBasicExecutionRole,
    // which would grant log writes to every log group in the account.
    this.role = new iam.Role(this, "ApiRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "mantle-vend API function: reads its own parameters and signs Mantle tokens",
      inlinePolicies: {
        MantleVendApi: new iam.PolicyDocument({
          statements: [
            ...readStatements(),
            writeCatalogsStatement(),
            logStatement(this.apiLogGroup),
            ...(config.perKeyAttribution ? [] : mantleStatements()),
          ],
        }),
      },
    });

    this.refreshRole = new iam.Role(this, "RefreshRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "mantle-vend catalog refresh: reads its parameters, writes catalogs, lists Mantle models",
      inlinePolicies: {
        MantleVendRefresh: new iam.PolicyDocument({
          statements: [
            // No kms:Decrypt: the refresh reads catalogs (String parameters), never the keys.
            ...parameterReadStatements(),
            writeCatalogsStatement(),
            logStatement(this.refreshLogGroup),
            // The refresh signs with its own role in both modes: the token role trusts only the
            // API role, and a catalog listing is not attributable to any key.
            ...listModelsStatements(),
          ],
        }),
      },
    });

    if (config.perKeyAttribution) {
      this.tokenRole = new iam.Role(this, "TokenRole", {
        assumedBy: new SourceIdentityPrincipal(this.role.roleArn),
        description: "mantle-vend token signer: assumed per API key (source identity = key id)",
        maxSessionDuration: Duration.hours(1),
        inlinePolicies: {
          MantleVendToken: new iam.PolicyDocument({ statements: mantleStatements() }),
        },
      });
      // A separate policy resource: inlining it in the API role would make the role and the
      // token role (whose trust policy names the API role) depend on each other.
      new iam.Policy(this, "ApiAssumeTokenRole", {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({
            sid: "AssumeTokenRole",
            actions: ["sts:AssumeRole", "sts:SetSourceIdentity"],
            resources: [this.tokenRole.roleArn],
          }),
        ],
      });
    }

    const environment: Record<string, string> = {
      MANTLE_VEND_PARAMETER_PREFIX: prefix,
      MANTLE_VEND_REGIONS: config.regions.join(","),
      MANTLE_VEND_DEFAULT_TTL_SECONDS: String(config.defaultTtlSeconds),
      MANTLE_VEND_MAX_TTL_SECONDS: String(config.maxTtlSeconds),
      MANTLE_VEND_CATALOG_TTL_SECONDS: String(
        config.refreshIntervalMinutes === null ? DEFAULT_CATALOG_TTL_SECONDS : config.refreshIntervalMinutes * 60,
      ),
      POWERTOOLS_SERVICE_NAME: "mantle-vend",
    };

    this.apiFunction = new NodejsFunction(this, "ApiFunction", {
      ...functionBase(),
      entry: entryPath("handler.ts"),
      description: "mantle-vend: vends Mantle bearer tokens and model catalogs",
      timeout: Duration.seconds(10),
      role: this.role,
      logGroup: this.apiLogGroup,
      environment: this.tokenRole
        ? { ...environment, MANTLE_VEND_TOKEN_ROLE_ARN: this.tokenRole.roleArn }
        : environment,
      ...(config.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: config.reservedConcurrency }
        : {}),
    });

    this.refreshFunction = new NodejsFunction(this, "RefreshFunction", {
      ...functionBase(),
      entry: entryPath("refresh.ts"),
      description: "mantle-vend: refreshes every region's model catalog in Parameter Store",
      timeout: Duration.seconds(60),
      role: this.refreshRole,
      logGroup: this.refreshLogGroup,
      environment,
    });

    this.functionUrl = this.apiFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    if (config.refreshIntervalMinutes !== null) {
      const minutes = config.refreshIntervalMinutes;
      // Schedule.rate() would rewrite 60 minutes as "1 hour"; keep the configured unit visible.
      this.schedule = new events.Rule(this, "RefreshSchedule", {
        description: "mantle-vend: periodic model catalog refresh",
        schedule: events.Schedule.expression(`rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`),
        targets: [new targets.LambdaFunction(this.refreshFunction)],
      });
    }

    const alarms = new VendorAlarms(this, "Alarms", {
      apiFunction: this.apiFunction,
      refreshFunction: this.refreshFunction,
      ...(config.alarmTopic === undefined ? {} : { topic: config.alarmTopic }),
    });
    this.refreshErrorsAlarm = alarms.refreshErrors;
    this.api5xxAlarm = alarms.api5xx;

    this.acknowledgeUnavoidableWildcards({
      prefix,
      mantleProjectArnFindings: config.regions.map(
        (region) => `arn:<AWS::Partition>:bedrock-mantle:${region}:<AWS::AccountId>:project/*`,
      ),
    });
  }

  /**
   * cdk-nag AwsSolutions-IAM5 flags every "*" in an action or resource. Each remaining one is
   * acknowledged finding by finding (never the whole rule), with the reason it cannot be narrower.
   */
  private acknowledgeUnavoidableWildcards(args: { prefix: string; mantleProjectArnFindings: string[] }): void {
    const ssmScope = `arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter`;
    const parameters = {
      id: `AwsSolutions-IAM5[Resource::${ssmScope}${args.prefix}/*]`,
      reason:
        "API keys and catalog shards are created at run time by the admin CLI and the refresh " +
        "function, so their names are not known at deploy time; the wildcard stays inside this " +
        "service's own parameter prefix.",
    };
    // Only the API role decrypts (the keys are SecureStrings); the refresh reads catalogs alone.
    const apiOnly: Array<{ id: string; reason: string }> = [
      {
        id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
        reason:
          "SecureString keys use the AWS managed key aws/ssm, whose key id is not known at deploy time " +
          "and which IAM cannot address by alias; the statement is limited by kms:ViaService to SSM in " +
          "this region and by kms:ResourceAliases to alias/aws/ssm.",
      },
    ];
    // Only the signer holds Get*; the refresh lists models and nothing else.
    const getActions = {
      id: "AwsSolutions-IAM5[Action::bedrock-mantle:Get*]",
      reason:
        "Mantle authorizes bearer-token requests against the read actions of the AWS managed policy " +
        "AmazonBedrockMantleInferenceAccess (Get*, List*); enumerating them would break as Mantle adds " +
        "read operations. Write and management actions are not granted.",
    };
    const mantle: Array<{ id: string; reason: string }> = [
      {
        id: "AwsSolutions-IAM5[Action::bedrock-mantle:List*]",
        reason:
          "Mantle authorizes bearer-token requests (e.g. GET /v1/models) against the List* actions of the " +
          "AWS managed policy AmazonBedrockMantleInferenceAccess; only read actions are covered.",
      },
      {
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "bedrock-mantle:CallWithBearerToken has no resource type in the Service Authorization " +
          "Reference, so its only valid resource is \"*\"; no other action in these policies uses \"*\".",
      },
      ...args.mantleProjectArnFindings.map((finding) => ({
        id: `AwsSolutions-IAM5[Resource::${finding}]`,
        reason:
          "Tokens are used against whichever Mantle project the caller selects (the default project " +
          "when none is named); projects are not created by this stack. Scoped to this account and " +
          "to one allowlisted region.",
      })),
    ];

    const signer = this.tokenRole ?? this.role;
    Validations.of(this.role).acknowledge(parameters);
    Validations.of(this.refreshRole).acknowledge(parameters);
    for (const ack of apiOnly) Validations.of(this.role).acknowledge(ack);
    Validations.of(signer).acknowledge(getActions);
    const catalogWrites = {
      id: `AwsSolutions-IAM5[Resource::${ssmScope}${args.prefix}/catalogs/*]`,
      reason:
        "Catalogs are one index and a variable number of shards per region " +
        "(<prefix>/catalogs/<region>[/<i>]), and stale shards are deleted; writes are confined to the catalogs path.",
    };
    Validations.of(this.role).acknowledge(catalogWrites);
    Validations.of(this.refreshRole).acknowledge(catalogWrites);
    for (const ack of mantle) {
      Validations.of(signer).acknowledge(ack);
      Validations.of(this.refreshRole).acknowledge(ack);
    }
  }
}

function entryPath(file: string): string {
  const path = `${LAMBDA_DIR}${file}`;
  if (!existsSync(path)) throw new Error(`MantleTokenVendor: Lambda entry ${path} not found`);
  return path;
}

function functionBase(): {
  runtime: lambda.Runtime;
  architecture: lambda.Architecture;
  memorySize: number;
  handler: string;
  projectRoot: string;
  depsLockFilePath: string;
  bundling: BundlingOptions;
} {
  return {
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
  };
}
