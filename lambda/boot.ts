import { SSMClient } from "@aws-sdk/client-ssm";
import pkg from "../package.json" with { type: "json" };
import { loadConfig } from "./config.js";
import { defaultCredentialSource } from "./credentials.js";
import { createLogger } from "./logger.js";
import { createService, type Service } from "./service.js";
import { SsmParameterStore } from "./store/ssm.js";
import type { Config } from "./types.js";
import type { Logger } from "@aws-lambda-powertools/logger";

/**
 * What both Lambda entry points build once per container, during the init phase: a bad
 * configuration is logged and thrown, so Lambda reports an init error instead of serving.
 */
export function bootLambda(): { config: Config; log: Logger; service: Service } {
  const log = createLogger();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    log.error("invalid configuration; refusing to start", { errorMessage: (error as Error).message });
    throw error;
  }
  // Short timeouts: a request must never hang on SSM for long, the cached answer can serve.
  const ssm = new SSMClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  const service = createService({
    config,
    store: new SsmParameterStore(ssm),
    credentials: defaultCredentialSource(),
    log,
    version: pkg.version,
  });
  return { config, log, service };
}
