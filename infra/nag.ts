import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { parameterPaths } from "../lambda/store/index.js";

interface Acknowledgement {
  id: string;
  reason: string;
}

const SSM_SCOPE = "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter";

/** The wildcards every role that reads the service's parameters and writes catalogs carries. */
function parameterReads(prefix: string): Acknowledgement[] {
  return [
    {
      id: `AwsSolutions-IAM5[Resource::${SSM_SCOPE}${prefix}/*]`,
      reason:
        "API keys and catalog shards are created at run time by the admin CLI and the refresh " +
        "function, so their names are not known at deploy time; the wildcard stays inside this " +
        "service's own parameter prefix.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${SSM_SCOPE}${parameterPaths(prefix).catalogs}/*]`,
      reason:
        "Catalogs are one index and a variable number of shards per region " +
        "(<prefix>/catalogs/<region>[/<i>]), and stale shards are deleted; writes are confined to the catalogs path.",
    },
  ];
}

/** The wildcard of the role that decrypts the keys (the refresh reads catalogs alone). */
const KEY_DECRYPT: Acknowledgement = {
  id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
  reason:
    "SecureString keys use the AWS managed key aws/ssm, whose key id is not known at deploy time " +
    "and which IAM cannot address by alias; the statement is limited by kms:ViaService to SSM in " +
    "this region and by kms:ResourceAliases to alias/aws/ssm.",
};

/** Only a signer of callers' tokens holds Get*; the refresh lists models and nothing else. */
const MANTLE_GET: Acknowledgement = {
  id: "AwsSolutions-IAM5[Action::bedrock-mantle:Get*]",
  reason:
    "Mantle authorizes bearer-token requests against the read actions of the AWS managed policy " +
    "AmazonBedrockMantleInferenceAccess (Get*, List*); enumerating them would break as Mantle adds " +
    "read operations. Write and management actions are not granted.",
};

/** The wildcards every role that signs Mantle tokens carries, whether for callers or for listing. */
function mantleListing(regions: readonly string[]): Acknowledgement[] {
  return [
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
        'Reference, so its only valid resource is "*"; no other action in these policies uses "*".',
    },
    ...regions.map((region) => ({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock-mantle:${region}:<AWS::AccountId>:project/*]`,
      reason:
        "Tokens are used against whichever Mantle project the caller selects (the default project " +
        "when none is named); projects are not created by this stack. Scoped to this account and " +
        "to one allowlisted region.",
    })),
  ];
}

function acknowledge(scopes: readonly IConstruct[], acks: readonly Acknowledgement[]): void {
  for (const scope of scopes) for (const ack of acks) Validations.of(scope).acknowledge(ack);
}

/**
 * cdk-nag AwsSolutions-IAM5 flags every "*" in an action or resource. Each remaining one is
 * acknowledged finding by finding (never the whole rule), on the roles that carry it, with
 * the reason it cannot be narrower.
 */
export function acknowledgeUnavoidableWildcards(args: {
  prefix: string;
  regions: readonly string[];
  /** Roles that read parameters and write catalogs. */
  parameterReaders: readonly IConstruct[];
  /** Roles that also decrypt the keys. */
  keyReaders: readonly IConstruct[];
  /** Roles whose policies hold all of the Mantle actions (they sign callers' tokens). */
  signers: readonly IConstruct[];
  /** Roles that sign only to list models. */
  listers: readonly IConstruct[];
}): void {
  acknowledge(args.parameterReaders, parameterReads(args.prefix));
  acknowledge(args.keyReaders, [KEY_DECRYPT]);
  acknowledge(args.signers, [MANTLE_GET, ...mantleListing(args.regions)]);
  acknowledge(args.listers, mantleListing(args.regions));
}

/**
 * The limits table holds short-lived counters and a 90-day tally of mints (the request log is the
 * audit trail): nothing a point-in-time restore would be worth paying for.
 */
export function acknowledgeCountersWithoutBackup(table: IConstruct): void {
  Validations.of(table).acknowledge({
    id: "AwsSolutions-DDB3",
    reason:
      "The fleet-limits table holds rate-window counters that expire within a minute and per-day mint " +
      "counts kept for usage reports; the request log is the audit trail. Point-in-time recovery would " +
      "restore nothing worth its cost.",
  });
}
