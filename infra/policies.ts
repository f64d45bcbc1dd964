import { Aws, Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { ATTRIBUTION_MAX_SESSION_SECONDS } from "../lambda/config.js";
import { parameterPaths } from "../lambda/store/index.js";

// Pseudo parameters (not Stack.of(this).region) keep the ARNs, and so the cdk-nag finding
// ids acknowledged in nag.ts, identical whether or not the stack has a concrete environment.
const parameterArn = (name: string): string => `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter${name}`;

/** The Mantle actions of AmazonBedrockMantleInferenceAccess that take a project resource. */
const MANTLE_PROJECT_ACTIONS = ["bedrock-mantle:CreateInference", "bedrock-mantle:Get*", "bedrock-mantle:List*"];

/** Reads of the service's own parameters: keys (SecureStrings), the config version, catalogs, overrides. */
export function readParametersStatements(prefix: string): iam.PolicyStatement[] {
  const underPrefix = parameterArn(`${prefix}/*`);
  return [
    new iam.PolicyStatement({
      sid: "ReadOwnParameters",
      actions: ["ssm:GetParameter", "ssm:GetParameters"],
      resources: [underPrefix],
    }),
    // GetParametersByPath is authorized against the *path* in the request, not the parameters
    // it returns; listing the prefix itself needs the prefix's own ARN. Either way it only
    // reaches what lies under the prefix.
    new iam.PolicyStatement({
      sid: "ListOwnParameterPaths",
      actions: ["ssm:GetParametersByPath"],
      resources: [parameterArn(prefix), underPrefix],
    }),
  ];
}

/**
 * Only a role that reads the keys (SecureStrings under the AWS managed key aws/ssm) needs this.
 * The key policy already lets account principals decrypt through SSM; this statement states the
 * need explicitly without widening it. IAM cannot name a key by alias, so the key ARN is
 * wildcarded and narrowed by alias and by "only through SSM in this region".
 */
export function decryptKeysStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "DecryptSecureStringsViaSsm",
    actions: ["kms:Decrypt"],
    resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
    conditions: {
      StringEquals: { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/aws/ssm" },
    },
  });
}

/**
 * Both functions store catalogs: the refresh on schedule, the API when a request finds a
 * region the store has no fresh copy of, so the next container (and the team) reuses it.
 */
export function writeCatalogsStatement(prefix: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "WriteCatalogs",
    actions: ["ssm:PutParameter", "ssm:DeleteParameter"],
    resources: [parameterArn(`${parameterPaths(prefix).catalogs}/*`)],
  });
}

const mantleProjectArns = (regions: readonly string[]): string[] =>
  regions.map((region) => `arn:${Aws.PARTITION}:bedrock-mantle:${region}:${Aws.ACCOUNT_ID}:project/*`);

// CallWithBearerToken has no resource type, so "*" is the only valid resource.
const bearerTokenStatement = (): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: "MantleBearerToken",
    actions: ["bedrock-mantle:CallWithBearerToken"],
    resources: ["*"],
  });

/** What a signer needs for its tokens to work on Mantle, in the allowlisted regions. */
export function mantleStatements(regions: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: "MantleInference", actions: MANTLE_PROJECT_ACTIONS, resources: mantleProjectArns(regions) }),
    bearerTokenStatement(),
  ];
}

/** The refresh's tokens only list models: no inference, no Get*. */
export function listModelsStatements(regions: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: "MantleListModels", actions: ["bedrock-mantle:List*"], resources: mantleProjectArns(regions) }),
    bearerTokenStatement(),
  ];
}

export function logStatement(group: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "WriteOwnLogs",
    actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
    resources: [group.logGroupArn],
  });
}

/**
 * A Lambda execution role with one inline policy. Explicit roles replace the managed
 * AWSLambdaBasicExecutionRole, which would grant log writes to every log group in the account.
 */
export function executionRole(
  scope: Construct,
  id: string,
  options: { description: string; policyName: string; statements: iam.PolicyStatement[] },
): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: options.description,
    inlinePolicies: { [options.policyName]: new iam.PolicyDocument({ statements: options.statements }) },
  });
}

/** What the API role does when it assumes the token role: name the session's source and tag it. */
const ASSUME_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"];

/**
 * Makes a trust statement that lets the wrapped ARN assume the role, stamp the session with a
 * source identity (the key id) and tag it (cost allocation per principal), in one statement.
 */
class SourceIdentityPrincipal extends iam.ArnPrincipal {
  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(
      new iam.PolicyStatement({
        sid: "AssumeWithSourceIdentity",
        actions: ASSUME_ACTIONS,
        principals: [new iam.ArnPrincipal(this.arn)],
      }),
    );
  }
}

/** Attribution mode's signer: assumed by the API role per key, with the Mantle actions only. */
export function tokenRole(scope: Construct, apiRole: iam.Role, regions: readonly string[]): iam.Role {
  const role = new iam.Role(scope, "TokenRole", {
    assumedBy: new SourceIdentityPrincipal(apiRole.roleArn),
    description: "mantle-vend token signer: assumed per API key (source identity = key id)",
    // Role chaining caps the session at this anyway; saying so keeps the template honest.
    maxSessionDuration: Duration.seconds(ATTRIBUTION_MAX_SESSION_SECONDS),
    inlinePolicies: { MantleVendToken: new iam.PolicyDocument({ statements: mantleStatements(regions) }) },
  });
  // A separate policy resource: inlining it in the API role would make the role and the
  // token role (whose trust policy names the API role) depend on each other.
  new iam.Policy(scope, "ApiAssumeTokenRole", {
    roles: [apiRole],
    statements: [
      new iam.PolicyStatement({
        sid: "AssumeTokenRole",
        actions: ASSUME_ACTIONS,
        resources: [role.roleArn],
      }),
    ],
  });
  return role;
}
