import { SSMClient } from "@aws-sdk/client-ssm";
import { loadConfig, type Config } from "./config.js";
import { attributionCredentialSource, defaultCredentialSource, type CredentialSource } from "./tokens/index.js";
import { DynamoDbCounters, type CounterStore, type DynamoDbSdk } from "./limits/index.js";
import { createLogger } from "./logger.js";
import { EmfMetrics, type ServiceMetrics } from "./metrics/index.js";
import { SsmParameterStore, type ParameterStore } from "./store/index.js";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { STSClient } from "@aws-sdk/client-sts";

/**
 * Short timeouts for every AWS call on a request's path: a hung dependency must turn into
 * a 503 (or a cached answer) well inside the function's 10 s, never Lambda's own timeout.
 * Two attempts of a quarter of the request deadline each (2 s of the default 8 s) fit in it.
 */
function awsClientLimits(config: Config) {
  return {
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: Math.ceil(config.requestDeadlineMs / 8),
      requestTimeout: Math.ceil(config.requestDeadlineMs / 4),
      throwOnRequestTimeout: true,
    },
  };
}

export interface LambdaEnvironment {
  config: Config;
  log: Logger;
  store: ParameterStore;
  credentials: CredentialSource;
  metrics: ServiceMetrics;
  /** The limits table, when the deployment has one. */
  counters?: CounterStore;
}

/**
 * What both Lambda entry points share, built once per container during the init phase: a
 * bad configuration is logged and thrown, so Lambda reports an init error instead of serving.
 * Each entry point wires only what it runs on top of it.
 */
export function bootLambda(): LambdaEnvironment {
  const log = createLogger();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    log.error("invalid configuration; refusing to start", { errorMessage: (error as Error).message });
    throw error;
  }
  const metrics = new EmfMetrics();
  metrics.coldStart();
  return {
    config,
    log,
    store: new SsmParameterStore(new SSMClient(awsClientLimits(config))),
    credentials: signingCredentials(config),
    metrics,
    ...(config.limitsTable === undefined ? {} : { counters: limitsTable(config, config.limitsTable) }),
  };
}

/**
 * The limits table's client, imported during the init phase beside the key load, so the first token
 * request does not wait for it. Its calls are short: the admission's whole budget is a quarter of the
 * request deadline (service.ts), so each attempt gets an eighth.
 */
function limitsTable(config: Config, table: string): CounterStore {
  const sdk: Promise<DynamoDbSdk> = import("@aws-sdk/client-dynamodb").then(({ DynamoDBClient, UpdateItemCommand, QueryCommand }) => ({
    client: new DynamoDBClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: Math.ceil(config.requestDeadlineMs / 16), requestTimeout: Math.ceil(config.requestDeadlineMs / 8), throwOnRequestTimeout: true },
    }),
    UpdateItemCommand,
    QueryCommand,
  }));
  // A failed import surfaces on the first use, as a failure of the table.
  sdk.catch(() => undefined);
  return new DynamoDbCounters(() => sdk, table);
}

/** The execution role by default; in attribution mode an STS session of the token role per key. */
function signingCredentials(config: Config): CredentialSource {
  const roleArn = config.tokenRoleArn;
  if (roleArn === undefined) return defaultCredentialSource();
  let client: Promise<STSClient> | undefined;
  return attributionCredentialSource({
    roleArn,
    // Loaded on first use: only attribution mode pays for the STS client at cold start.
    sts: () => (client ??= import("@aws-sdk/client-sts").then(({ STSClient }) => new STSClient(awsClientLimits(config)))),
    clock: Date.now,
  });
}
