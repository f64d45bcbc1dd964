/**
 * The API key a configuration that goes through `mantle-vend proxy` carries (OpenClaw's `--proxy`
 * mode, the `setup` tools that use the proxy): not a secret, the proxy replaces it with a token.
 */
export const PROXY_API_KEY_PLACEHOLDER = "mantle-vend-proxy";
