import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { parameterPaths } from "../lambda/store/index.js";

/**
 * The fleet-wide limits' table (SPEC §14): on-demand, items keyed `pk`/`sk` and expired by DynamoDB's
 * TTL on `expiresAt`, encrypted with an AWS-owned key. Its name is also written to `<prefix>/limits-table`,
 * so `mantle-vend-admin usage` finds it from `--prefix`. Counters are rebuilt by use, so the table goes
 * with the stack.
 */
export class LimitsTable extends Construct {
  public readonly table: dynamodb.Table;
  public readonly nameParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "expiresAt",
      // DEFAULT is the AWS-owned key (no KMS key, no cost): counts are no secret.
      encryption: dynamodb.TableEncryption.DEFAULT,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.nameParameter = new ssm.StringParameter(this, "TableName", {
      parameterName: parameterPaths(props.prefix).limitsTable,
      stringValue: this.table.tableName,
      description: "mantle-vend: the fleet-wide limits' DynamoDB table (mantle-vend-admin usage reads it)",
    });
  }

  /**
   * What the API function may do with it: count (UpdateItem on this table's items), nothing else — no
   * read (a token request's count comes back from the write, and no other route touches the table), no
   * Scan or Query, no table administration.
   */
  countStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({ sid: "CountInLimitsTable", actions: ["dynamodb:UpdateItem"], resources: [this.table.tableArn] });
  }
}
