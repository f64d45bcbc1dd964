import pkg from "../package.json" with { type: "json" };
import { bootLambda } from "./boot.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./http/index.js";
import { createService } from "./service.js";

const service = createService({ ...bootLambda(), version: pkg.version });
// Keys and identity policies load during the init phase, so the first request rarely waits for them.
await service.principals.warm();

export const handler = (event: FunctionUrlEvent): Promise<FunctionUrlResult> => service.api(event);
