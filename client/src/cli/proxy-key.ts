/** The `--require-key` key a proxy keeps across restarts, and where configs that go through it find it. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readApiKeyFile } from "../api-key-file.js";
import { PROXY_API_KEY_PLACEHOLDER } from "../proxy/placeholder.js";
import { configDir } from "./config-dir.js";

/** The file that keeps the key of the proxy on `port`. */
export function proxyKeyFile(env: NodeJS.ProcessEnv, port: number): string {
  return join(configDir(env), "proxy", `${port}.key`);
}

/** The key a kept file holds, or undefined when there is none (a file others can read is refused: exit 3). */
export function keptProxyKey(env: NodeJS.ProcessEnv, port: number): string | undefined {
  const file = proxyKeyFile(env, port);
  return existsSync(file) ? readApiKeyFile(file, "the proxy key file") : undefined;
}

/**
 * What a config that goes through the proxy at `url` sends as its API key: the key that proxy keeps
 * (a --require-key proxy on that port of this machine), else a placeholder the proxy ignores.
 */
export function proxyApiKey(env: NodeJS.ProcessEnv, url: string): string {
  const parsed = new URL(url);
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  return keptProxyKey(env, port) ?? PROXY_API_KEY_PLACEHOLDER;
}
