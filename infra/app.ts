import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { propsFromContext } from "./context.js";
import { VendorPropsError } from "./props.js";
import { MantleVendStack } from "./stack.js";

const app = new App();
try {
  // Every MantleTokenVendor prop can come from `-c name=value` or cdk.json's context (infra/context.ts).
  new MantleVendStack(app, "MantleVendStack", {
    ...propsFromContext(app.node.getAllContext()),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (!(error instanceof VendorPropsError)) throw error;
  // A bad setting is the user's to fix: one line naming it, not a stack trace.
  process.stderr.write(`mantle-vend: ${error.message}\n`);
  process.exit(1);
}
// cdk-nag 3 runs as a policy-validation plugin during synthesis, not as an aspect.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
