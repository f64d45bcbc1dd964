import { bootLambda } from "./boot.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./http/index.js";

const { service } = bootLambda();
// Keys load during the init phase, so the first request rarely waits for them.
await service.keys.warm();

export const handler = (event: FunctionUrlEvent): Promise<FunctionUrlResult> => service.api(event);
