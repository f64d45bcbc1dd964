/** The HTTP API behind the function URL: routing, request parsing, responses, error mapping. */
export { createApi, type Api, type ApiDependencies } from "./api.js";
export type { CatalogBody, ErrorBody, HealthBody, IdentityBody, RegionsBody, TokenBody, WhoamiBody } from "./bodies.js";
export { ERROR_CODES, type ErrorStatus } from "./errors.js";
export type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";
