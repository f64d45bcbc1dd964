import type { ParseArgsConfig } from "node:util";
import { DEFAULT_PARAMETER_PREFIX } from "../config.js";

/** Every flag of every command (node:util parseArgs takes one table); each group names the ones its commands take. */
export const OPTIONS = {
  name: { type: "string" },
  regions: { type: "string" },
  "max-ttl": { type: "string" },
  "expires-in": { type: "string" },
  "rate-limit": { type: "string" },
  grace: { type: "string", default: "24h" },
  hide: { type: "boolean" },
  show: { type: "boolean" },
  apis: { type: "string" },
  route: { type: "string" },
  "context-window": { type: "string" },
  "max-output-tokens": { type: "string" },
  reasoning: { type: "string" },
  input: { type: "string" },
  add: { type: "boolean" },
  force: { type: "boolean" },
  json: { type: "boolean", default: false },
  local: { type: "boolean", default: false },
  "data-dir": { type: "string", default: ".mantle-vend" },
  prefix: { type: "string", default: process.env.MANTLE_VEND_PARAMETER_PREFIX ?? DEFAULT_PARAMETER_PREFIX },
  region: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];
