/** What namespace.ts hands sandbox.ts for one tool run, and what comes back. */

/** Inside each namespace the local server and the proxy listen on their default ports. */
export const SERVER_URL = "http://127.0.0.1:8787";
export const PROXY_URL = "http://127.0.0.1:8788";

export interface Job {
  /** The `mantle-vend setup` tool. */
  tool: string;
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
  /** The tool's config as setup left it. */
  config?: string;
  /** The environment setup's start line gave the tool. */
  startEnv?: Record<string, string>;
}
