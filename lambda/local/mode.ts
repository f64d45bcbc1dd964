/**
 * How `npm start` decides between offline (the bundled Mantle emulator) and online (real Mantle with
 * AWS credentials), and the one line that says which and why.
 */
import { ConfigError } from "../errors.js";

export type Env = Record<string, string | undefined>;

/** Why the server runs offline when something asked for it, or undefined when nothing did. */
export function offlineRequest(flag: boolean, env: Env): string | undefined {
  if (flag) return "--offline";
  const own = env["MANTLE_VEND_OFFLINE"]?.trim() ?? "";
  if (own === "1" || own === "true") return "MANTLE_VEND_OFFLINE=1";
  if (own === "0" || own === "false") return undefined;
  if (own !== "") throw new ConfigError(`MANTLE_VEND_OFFLINE must be 1 or 0, got "${own}"`);
  // `npm start --offline` hands the flag to npm, which tells its scripts through this variable.
  if (env["npm_config_offline"] === "true") return "npm start --offline, seen as npm_config_offline; MANTLE_VEND_OFFLINE=0 overrides it";
  return undefined;
}

/** Where the default credential chain found its credentials, from the SDK's `$source` features. */
export function credentialSource(features: Record<string, unknown> | undefined, env: Env): string {
  const keys = Object.keys(features ?? {});
  const has = (part: string): boolean => keys.some((key) => key.includes(part));
  const profile = `profile "${env["AWS_PROFILE"] ?? "default"}"`;
  if (has("ENV_VARS") && !has("WEB_ID")) return "environment variables (AWS_ACCESS_KEY_ID)";
  if (has("WEB_ID")) return "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)";
  if (has("SSO")) return `${profile} (SSO)`;
  if (has("PROCESS")) return `${profile} (credential_process)`;
  if (has("PROFILE")) return profile;
  if (has("IMDS")) return "the EC2 instance's role";
  if (has("HTTP")) return "the container's credentials endpoint";
  return "the default credential chain";
}

/** The mode line: offline and why, or online and with which credentials. */
export function modeLine(mode: { offline: string; emulatorUrl: string } | { online: string }): string {
  if ("offline" in mode) return `offline (${mode.offline}): signing with local credentials for the bundled Mantle emulator at ${mode.emulatorUrl}`;
  return `online: signing with AWS credentials from ${mode.online} for real Mantle (npm start -- --offline, or MANTLE_VEND_OFFLINE=1, for the bundled emulator)`;
}

/** npm's own flags that `npm start --flag value` hands to npm, leaving the value to the script. */
const NPM_TAKES: ReadonlyArray<[flag: string, npmVariable: string]> = [
  ["--port", "npm_config_port"],
  ["--host", "npm_config_host"],
  ["--data-dir", "npm_config_data_dir"],
];

/**
 * What to say about arguments the server does not take: after `npm start --port 8797` npm keeps
 * `--port` and the script gets `8797` alone.
 */
export function strayArguments(positionals: readonly string[], env: Env): string | undefined {
  const [first] = positionals;
  if (first === undefined) return undefined;
  const taken = NPM_TAKES.find(([, variable]) => env[variable] === "true");
  if (taken !== undefined) return `npm took ${taken[0]} for itself: run npm start -- ${taken[0]} ${first}`;
  return `unexpected argument "${first}" (options: --port, --host, --data-dir, --offline; after npm start, put them behind --: npm start -- --port 8797)`;
}
