import { UsageError } from "../cli/errors.js";
import { isPlainWord, shellWord } from "../cli/shell.js";
import { mantleRouteOf, type MantleRoute } from "../mantle-root.js";
import type { Catalog, CatalogModel, ModelApi } from "../types.js";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ToolFile } from "./config-file.js";

const API_NAMES: Record<ModelApi, string> = {
  "chat-completions": "Chat Completions",
  responses: "Responses",
  messages: "Anthropic Messages",
};

/** Where `mantle-vend proxy` listens by default. */
export const DEFAULT_PROXY_URL = "http://127.0.0.1:8788";

/** How to call one catalog model: its API families and where they are served, read from the team catalog. */
export interface ModelEndpoint {
  id: string;
  reasoning: boolean;
  apis: readonly ModelApi[];
  /** The base URL an SDK of the model's family takes, e.g. `<root>/openai/v1`. */
  baseUrl: string;
  /** That base URL's Mantle route: the same prefix on the proxy serves the model. */
  route: MantleRoute;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input: Array<"text" | "image">;
}

/** A command a tool runs for a token: `mantle-vend` (on PATH) or its absolute path, and its arguments (never the API key). */
export interface TokenCommand {
  path: string;
  args: string[];
}

export interface SetupContext {
  catalog: Catalog;
  region: string;
  /** The mantle-vend proxy's URL (no trailing slash, no `/v1`), when the config goes through it. */
  proxy: string | undefined;
  /** `--model`, when given. */
  model: string | undefined;
  /** What the tool sends as its API key to the proxy (the one given, else the default one): the key a --require-key proxy keeps, else a placeholder it ignores. */
  proxyKey(): string;
  /** The config sets the tool's default model (always printed; written only with --default). */
  asDefault: boolean;
  /** The config is written into the tool's file (--write), rather than printed. */
  writing: boolean;
  /** Where the tool's config goes: --config-file, else the tool's standard place. */
  configFile: string;
  /**
   * `mantle-vend token` for the config's region, by the real path of the installed CLI. `cached`
   * reuses the per-user cache (for tools that call before every request); `fresh` asks the server
   * each time (for tools that call once per process and again after a 401, so a re-run never hands
   * back the token that was just refused).
   */
  tokenCommand(mode: "cached" | "fresh"): TokenCommand;
  /** The OpenClaw resolver, by the real path of the installed CLI (OpenClaw runs it without a shell). */
  resolverCommand: TokenCommand;
  /**
   * The variables that carry the credential to the token command (MANTLE_VEND_API_KEY,
   * MANTLE_VEND_API_KEY_FILE, or MANTLE_VEND_IDENTITY and what its source reads): what the tool must pass on.
   */
  credentialEnv: readonly string[];
}

/** What one tool's setup makes: its config files, and how the tool starts once they are in place. */
export interface SetupOutput {
  /** The files, the tool's main config first (what stdout shows without --write). */
  files: ToolFile[];
  /** The command that starts the tool, with what it needs: "`claude` with MANTLE_VEND_URL … exported". */
  start: string;
  /** The model the config makes the default (or names on the command line). */
  model: string;
  /** What stdout shows instead of the main file's content (openai-env: shell exports). */
  text?: string;
}

export interface SetupTool {
  name: string;
  /** A few words for the usage text. */
  summary: string;
  /** The tool's standard config file, with its own environment overrides (CODEX_HOME, CLAUDE_CONFIG_DIR, …). */
  defaultFile(env: NodeJS.ProcessEnv): string;
  build(context: SetupContext): SetupOutput;
}

function endpointOf(model: CatalogModel): ModelEndpoint {
  const input = (["text", "image"] as const).filter((m) => model.input.includes(m));
  return {
    id: model.id,
    reasoning: model.reasoning,
    apis: model.apis,
    baseUrl: model.baseUrl.replace(/\/+$/, ""),
    // The catalog's base URLs end in a Mantle route; one that does not is called like `/v1`.
    route: mantleRouteOf(model.baseUrl) ?? "/v1",
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    input: input.length === 0 ? ["text"] : [...input],
  };
}

/** Every catalog model with its endpoint, in catalog order. */
function modelEndpoints(catalog: Catalog): ModelEndpoint[] {
  return catalog.models.map(endpointOf);
}

/** The URL a tool calls for a model: its Mantle base URL, or the same route on the proxy. */
export function endpointFor(context: SetupContext, endpoint: ModelEndpoint): string {
  return context.proxy === undefined ? endpoint.baseUrl : `${context.proxy}${endpoint.route}`;
}

/**
 * The models a tool can call through the given API families (most wanted first), and the default
 * one: `--model` if given, else the first usable model in catalog order. A `--model` the catalog
 * does not have, or cannot serve through these APIs, is refused with the models that would do.
 */
export function chooseModels(
  context: SetupContext,
  tool: string,
  apis: readonly ModelApi[],
): { usable: ModelEndpoint[]; chosen: ModelEndpoint } {
  const endpoints = modelEndpoints(context.catalog);
  const usable = endpoints.filter((endpoint) => endpoint.apis.some((api) => apis.includes(api)));
  const list = (models: ModelEndpoint[]): string => (models.length === 0 ? "none" : models.map((m) => m.id).join(", "));
  const wanted = `the ${apis.map((api) => API_NAMES[api]).join(" or ")} API`;
  if (context.model !== undefined) {
    const endpoint = endpoints.find((e) => e.id === context.model);
    if (endpoint === undefined) {
      throw new UsageError(`--model ${context.model} is not in the ${context.catalog.region} catalog; ${tool} can use: ${list(usable)}`);
    }
    if (!usable.includes(endpoint)) {
      throw new UsageError(
        `--model ${endpoint.id} is served by ${endpoint.apis.map((api) => API_NAMES[api]).join(", ") || "no known API"}, but ${tool} calls ${wanted}; it can use: ${list(usable)}`,
      );
    }
    return { usable, chosen: endpoint };
  }
  const chosen = usable[0];
  if (chosen === undefined) {
    throw new UsageError(
      `no model in the ${context.catalog.region} catalog is served by ${wanted}, which ${tool} needs ` +
        `(an operator can add one: mantle-vend-admin models set <id> --add --apis ${apis[0] ?? "chat-completions"})`,
    );
  }
  return { usable, chosen };
}

/** A command line for `sh -c`. */
export function shellCommand(command: TokenCommand): string {
  return commandLine([command.path, ...command.args]);
}

/**
 * A command line for a POSIX shell, as a user pastes it: `NAME=value` assignments, then the words.
 * Every value is quoted where a shell would read it as more than a word (catalog ids, paths and URLs
 * can hold anything), so what runs is exactly `argv`.
 */
export function commandLine(argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  return [...Object.entries(env).map(([name, value]) => `${name}=${shellWord(value)}`), ...argv.map(shellWord)].join(" ");
}

/** A value in a comment or a sentence: as it is when plain, else JSON-quoted, so it stays one line and escapes nothing. */
export function displayWord(value: string): string {
  return isPlainWord(value) ? value : JSON.stringify(value);
}

/** "with MANTLE_VEND_URL and MANTLE_VEND_API_KEY exported", or "once the proxy serves URL": how a tool starts. */
export function startCondition(context: SetupContext): string {
  if (context.proxy !== undefined) return `once \`mantle-vend proxy\` serves ${context.proxy}`;
  const own = context.credentialEnv.filter((name) => name.startsWith("MANTLE_VEND_"));
  return own.length === 0 ? "with MANTLE_VEND_URL exported (your mantle-vend login is used)" : `with MANTLE_VEND_URL and ${own.join(" and ")} exported`;
}

/** `$VARIABLE` when the tool's user set it, else the place below the home directory the tool uses by default. */
export function toolDir(env: NodeJS.ProcessEnv, variable: string, ...underHome: string[]): string {
  const set = env[variable];
  return set !== undefined && set !== "" ? set : join(homedir(), ...underHome);
}
