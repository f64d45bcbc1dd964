import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { MantleVendStack } from "./stack.js";

const app = new App();
new MantleVendStack(app, "MantleVendStack", {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag 3 runs as a policy-validation plugin during synthesis, not as an aspect.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
