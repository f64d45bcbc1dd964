/** What namespace.ts hands sandbox.ts for one tool run, and what comes back. */

/** Inside each namespace the local server and the proxy listen on their default ports. */
export const SERVER_URL = "http://127.0.0.1:8787";
export const PROXY_URL = "http://127.0.0.1:8788";

/**
 * What the tool and `setup` present to the server: the API key the first start printed, a workload's
 * identity token in a file (`MANTLE_VEND_IDENTITY=file:…`, from an issuer started in the namespace), or
 * the session `mantle-vend login` saved (against an OpenID Provider started in the namespace). With the
 * last two, no API key is in any environment the tool, setup or the proxy sees.
 */
export type JobCredential = "key" | "identity-file" | "login";

export interface Job {
  /** The `mantle-vend setup` tool. */
  tool: string;
  credential: JobCredential;
  region: string;
  /** More `setup` arguments, e.g. `--proxy URL`. */
  setupArgs: string[];
  /** Start `mantle-vend proxy` on 127.0.0.1:8788 before setup. */
  proxy: boolean;
  /** Start it with `--require-key` (setup --proxy then carries its kept key into the config). */
  requireKey: boolean;
  /**
   * The user's config before setup (absolute path → text): other providers, permissions, comments.
   * `setup <tool> --write --default` merges into it, where the tool reads it.
   */
  existing: Record<string, string>;
  /** Take the environment variables of setup's start line (`run \`A=1 B=2 tool …\``) into the tool's environment. */
  startEnvFromSetup: boolean;
  /** Extra environment of `npm start`. */
  serverEnv: Record<string, string>;
  /** Sent to the emulator's `POST /_emulator/faults` before the tool starts (e.g. expireFirstTokenAfter). */
  emulatorFaults: Record<string, number>;
  /** Where setup writes the tool's config (its standard place under `home`). */
  configPath: string;
  /** The tool's argv. */
  command: string[];
  /** The tool's environment besides PATH, HOME, MANTLE_VEND_URL, MANTLE_VEND_API_KEY. */
  env: Record<string, string>;
  /** Prepended to PATH (ends with ":"), or "". */
  pathPrefix: string;
  home: string;
  cwd: string;
  timeoutMs: number;
}

export interface RunResult {
  phase: "setup" | "done" | "error";
  error?: string;
  setupStderr?: string;
  dnsQueries: string[];
  exitCode?: number | null;
  timedOut?: boolean;
  ms?: number;
  /** `GET /_emulator/calls` of the run's emulator. */
  calls?: unknown;
  /** The names (never the values) of the variables the tool ran with. */
  toolEnvNames?: string[];
  /** `mantle-vend whoami` with the tool's environment, after the turn: who the tool's requests were. */
  whoami?: unknown;
  /** The tool's config as setup left it (for checks that it holds no key). */
  config?: string;
  /** The environment setup's start line gave the tool. */
  startEnv?: Record<string, string>;
}
