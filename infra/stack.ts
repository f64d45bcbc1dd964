import { CfnOutput, Fn, Stack, type StackProps } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { VendorPropsError, type LoginProps } from "./props.js";
import { DEFAULT_PARAMETER_PREFIX } from "../lambda/config.js";
import { MantleTokenVendor, type MantleTokenVendorProps } from "./vendor.js";

/** Stack props: the usual StackProps plus every MantleTokenVendor prop, passed straight through. */
export interface MantleVendStackProps extends StackProps, MantleTokenVendorProps {
  /**
   * An existing SNS topic, by ARN, for the alarms' notifications (instead of `alarmTopic`),
   * so the deployable stack can notify a topic that lives elsewhere.
   * @default - no alarm actions
   */
  readonly alarmTopicArn?: string;
  /** `login.issuer` given on its own (CDK context `loginIssuer`); goes with `loginClientId`. */
  readonly loginIssuer?: string;
  /** `login.clientId` given on its own (CDK context `loginClientId`). */
  readonly loginClientId?: string;
  /** `login.scopes` given on their own (CDK context `loginScopes`). */
  readonly loginScopes?: string[];
}

/** The deployable unit of mantle-vend: one MantleTokenVendor and its outputs. */
export class MantleVendStack extends Stack {
  public readonly vendor: MantleTokenVendor;

  constructor(scope: Construct, id: string, props: MantleVendStackProps = {}) {
    super(scope, id, props);
    this.vendor = new MantleTokenVendor(this, "Vendor", {
      regions: props.regions,
      parameterPrefix: props.parameterPrefix,
      defaultTtl: props.defaultTtl,
      maxTtl: props.maxTtl,
      catalogRefreshInterval: props.catalogRefreshInterval,
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      perKeyAttribution: props.perKeyAttribution,
      logRemovalPolicy: props.logRemovalPolicy,
      fleetLimits: props.fleetLimits,
      fleetLimitsFailure: props.fleetLimitsFailure,
      login: props.login ?? loginFromParts(props),
      alarmTopic:
        props.alarmTopic ?? (props.alarmTopicArn === undefined ? undefined : sns.Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn)),
    });

    new CfnOutput(this, "FunctionUrl", {
      description: "Base URL of the mantle-vend API (clients: MANTLE_VEND_URL)",
      value: this.vendor.functionUrl.url,
    });
    new CfnOutput(this, "ParameterPrefix", {
      description: "Parameter Store prefix for keys and catalogs (mantle-vend-admin --prefix)",
      value: this.vendor.parameterPrefix,
    });
    new CfnOutput(this, "Region", {
      description: "The region the stack and its parameters live in (mantle-vend-admin --region, or AWS_REGION)",
      value: this.region,
    });
    // The admin CLI reaches SSM in the stack's region, which a fresh shell may not have set.
    const prefix = this.vendor.parameterPrefix === DEFAULT_PARAMETER_PREFIX ? "" : ` --prefix ${this.vendor.parameterPrefix}`;
    new CfnOutput(this, "NextStep", {
      description: "Create the first API key (it is printed once, on stdout)",
      value: Fn.join("", ["npx mantle-vend-admin keys create --name first-key --region ", this.region, prefix]),
    });
    if (this.vendor.tokenRole !== undefined) {
      new CfnOutput(this, "TokenRoleArn", {
        description: "The role that signs tokens in attribution mode (its sessions name each key in CloudTrail)",
        value: this.vendor.tokenRole.roleArn,
      });
    }
  }
}

/** The login provider from its parts, as CDK context gives them: issuer and client id together, or neither. */
function loginFromParts(props: MantleVendStackProps): LoginProps | undefined {
  const { loginIssuer: issuer, loginClientId: clientId, loginScopes: scopes } = props;
  if (issuer === undefined && clientId === undefined) {
    if (scopes !== undefined) throw new VendorPropsError("context \"loginScopes\" needs loginIssuer and loginClientId");
    return undefined;
  }
  if (issuer === undefined || clientId === undefined) throw new VendorPropsError("context \"loginIssuer\" and \"loginClientId\" go together: give both, or neither");
  return { issuer, clientId, ...(scopes === undefined ? {} : { scopes }) };
}
