/** The HTTP API behind the function URL: routing, request parsing, responses, error mapping. */
export { createApi, type Api } from "./api.js";
export type { CatalogBody, ErrorBody, RegionsBody, TokenBody, WhoamiBody } from "./bodies.js";
export type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";
