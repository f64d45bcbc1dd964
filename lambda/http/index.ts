/** The HTTP API behind the function URL: routing, request parsing, responses, error envelopes. */
export { createApi, type Api, type ApiDependencies } from "./api.js";
export type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";
