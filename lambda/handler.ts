import { SSMClient } from "@aws-sdk/client-ssm";
import pkg from "../package.json" with { type: "json" };
import { createApi } from "./app.js";
import { loadConfig } from "./config.js";
import { defaultCredentialSource } from "./credentials.js";
import { KeyCache } from "./key-cache.js";
import { createLogger } from "./logger.js";
import { RateLimiter } from "./ratelimit.js";
import { SsmParameterStore } from "./store/ssm.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./types.js";

// Everything below runs once per container, during Lambda's init phase.
const log = createLogger();
const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (error) {
    log.error("invalid configuration; refusing to start", { errorMessage: (error as Error).message });
    throw error;
  }
})();
const clock = Date.now;
const store = new SsmParameterStore(
  new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } }),
);
const keys = new KeyCache(store, clock, log, {
  prefix: config.parameterPrefix,
  maxAgeMs: config.keyCacheMaxAgeSeconds * 1000,
});
const api = createApi({
  config,
  keys,
  limiter: new RateLimiter(clock),
  credentials: defaultCredentialSource(),
  clock,
  log,
  version: pkg.version,
});
await keys.warm();

export const handler = (event: FunctionUrlEvent): Promise<FunctionUrlResult> => api(event);
