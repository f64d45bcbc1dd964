import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { MantleTokenVendor, type MantleTokenVendorProps } from "./vendor.js";

/** Stack props: the usual StackProps plus every MantleTokenVendor prop, passed straight through. */
export interface MantleVendStackProps extends StackProps, MantleTokenVendorProps {
  /**
   * An existing SNS topic, by ARN, for the alarms' notifications (instead of `alarmTopic`),
   * so the deployable stack can notify a topic that lives elsewhere.
   * @default - no alarm actions
   */
  readonly alarmTopicArn?: string;
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
  }
}
