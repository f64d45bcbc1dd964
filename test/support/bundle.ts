import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { inject } from "vitest";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { MantleVendStack, type MantleVendStackProps } from "../../infra/stack.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/mantle-emulator.js";

export interface SynthesizedBundle {
  template: Template;
  /** Absolute path of the API function's bundle file, as the template's asset names it. */
  apiBundle: string;
  refreshBundle: string;
}

/**
 * Synthesizes the real stack and finds the handler bundles through the template's asset
 * metadata: the exact artifacts `cdk deploy` would upload. The output lives inside the
 * repository so that the bundle's external `@aws-sdk/*` imports resolve to node_modules,
 * as they resolve to the runtime's SDK in Lambda. Under vitest it goes below the run's own
 * directory, which the global setup removes when the run ends.
 */
export async function synthesizeBundle(props: MantleVendStackProps = {}, parent: string = inject("bundleRoot")): Promise<SynthesizedBundle> {
  await mkdir(parent, { recursive: true });
  const outdir = await mkdtemp(join(parent, "test-"));
  const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
  const stack = new MantleVendStack(app, "MantleVendStack", props);
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const bundleOf = (logicalPrefix: string): string => {
    const functions = template.findResources("AWS::Lambda::Function");
    const [, resource] = Object.entries(functions).find(([id]) => id.includes(logicalPrefix)) ?? [];
    const assetPath = (resource as { Metadata?: Record<string, string> } | undefined)?.Metadata?.["aws:asset:path"];
    if (assetPath === undefined) throw new Error(`no asset metadata for ${logicalPrefix}`);
    return join(assembly.directory, assetPath, "index.mjs");
  };
  return { template, apiBundle: bundleOf("Api"), refreshBundle: bundleOf("Refresh") };
}

/**
 * The environment a bundled handler runs with against the local fakes: the emulator's
 * credentials as the "execution role", SSM (and STS) endpoints pointed at the fakes.
 */
export function bundleEnv(fakes: { ssmUrl: string; mantleEndpoint: string; stsUrl?: string; dynamodbUrl?: string }): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    // What Lambda sets for an on-demand container: Powertools counts its cold start by it.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SSM: fakes.ssmUrl,
    MANTLE_VEND_MANTLE_ENDPOINT: fakes.mantleEndpoint,
    ...(fakes.stsUrl === undefined ? {} : { AWS_ENDPOINT_URL_STS: fakes.stsUrl }),
    ...(fakes.dynamodbUrl === undefined ? {} : { AWS_ENDPOINT_URL_DYNAMODB: fakes.dynamodbUrl }),
  };
}
