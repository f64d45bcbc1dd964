// `@mantle-vend/client/openclaw`: OpenClaw's config and its exec secret provider, as client/README.md
// documents them ("OpenClaw").
export { openClawConfig, OPENCLAW_PROVIDER_ID, type OpenClawConfig, type OpenClawConfigMode, type OpenClawModel } from "./config.js";
export { parseResolverRequest, resolveSecrets, type ResolverRequest, type ResolverResponse } from "./resolver.js";
