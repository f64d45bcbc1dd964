import { UsageError } from "../exit-codes.js";
import { inferReasoning } from "../openclaw.js";
import { shellWord } from "../shell.js";
import type { Catalog, CatalogModel } from "../types.js";

/** The API families of SPEC §10. */
export type ApiFamily = "chat-completions" | "responses" | "messages";
const API_FAMILIES: readonly ApiFamily[] = ["chat-completions", "responses", "messages"];
const API_NAMES: Record<ApiFamily, string> = {
  "chat-completions": "Chat Completions",
  responses: "Responses",
  messages: "Anthropic Messages",
};

/** Where `mantle-vend proxy` listens by default. */
export const DEFAULT_PROXY_URL = "http://127.0.0.1:8788";

/** How to call one catalog model: its API families and base URL, read from the team catalog. */
export interface ModelRoute {
  id: string;
  reasoning: boolean;
  apis: ApiFamily[];
  /** The base URL an SDK of the model's family takes, e.g. `<root>/openai/v1`. */
  baseUrl: string;
  /** That base URL's path below the Mantle root: `/v1`, `/openai/v1` or `/anthropic`. */
  prefix: string;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input: Array<"text" | "image">;
}

/** A command a tool runs for a token: an absolute path and its arguments (never the API key). */
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
  /**
   * `mantle-vend token` for the config's region, by the real path of the installed CLI. `cached`
   * reuses the per-user cache (for tools that call before every request); `fresh` asks the server
   * each time (for tools that call once per process and again after a 401, so a re-run never hands
   * back the token that was just refused).
   */
  tokenCommand(mode: "cached" | "fresh"): TokenCommand;
  /** The OpenClaw resolver by the same path. */
  resolverCommand: TokenCommand;
  /** The key comes from MANTLE_VEND_API_KEY_FILE (so that is the variable the tool must pass on). */
  keyFile: boolean;
}

/** What one tool's setup prints: the config (stdout) and one line on where it goes (stderr). */
export interface SetupOutput {
  text: string;
  hint: string;
}

export interface SetupTool {
  name: string;
  /** A few words for the usage text. */
  summary: string;
  build(context: SetupContext): SetupOutput;
}

const positiveInt = (value: unknown): number | null =>
  typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;

function mantleRoot(catalog: Catalog): string {
  return catalog.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function routeOf(model: CatalogModel, catalog: Catalog): ModelRoute {
  const root = mantleRoot(catalog);
  const rawApis = Array.isArray(model["apis"]) ? (model["apis"] as unknown[]) : ["chat-completions"];
  const apis = API_FAMILIES.filter((api) => rawApis.includes(api));
  const baseUrl = (typeof model["baseUrl"] === "string" && model["baseUrl"] !== "" ? model["baseUrl"] : catalog.baseUrl).replace(/\/+$/, "");
  const prefix = baseUrl.startsWith(`${root}/`) ? baseUrl.slice(root.length) : new URL(baseUrl).pathname.replace(/\/+$/, "");
  const rawInput = Array.isArray(model["input"]) ? (model["input"] as unknown[]) : ["text"];
  const input = (["text", "image"] as const).filter((m) => rawInput.includes(m));
  return {
    id: model.id,
    reasoning: typeof model.reasoning === "boolean" ? model.reasoning : inferReasoning(model.id),
    apis,
    baseUrl,
    prefix,
    contextWindow: positiveInt(model["contextWindow"]),
    maxOutputTokens: positiveInt(model["maxOutputTokens"]),
    input: input.length === 0 ? ["text"] : [...input],
  };
}

/** Every catalog model with its route, in catalog order. */
export function modelRoutes(catalog: Catalog): ModelRoute[] {
  return catalog.models.map((model) => routeOf(model, catalog));
}

/** The URL a tool calls for a route: the model's Mantle base URL, or the same prefix on the proxy. */
export function endpointFor(context: SetupContext, route: ModelRoute): string {
  return context.proxy === undefined ? route.baseUrl : `${context.proxy}${route.prefix}`;
}

/** The Mantle root of the catalog's region, or the proxy. */
export function rootFor(context: SetupContext): string {
  return context.proxy ?? mantleRoot(context.catalog);
}

/**
 * The models a tool can call through the given API families (most wanted first), and the default
 * one: `--model` if given, else the first usable model in catalog order. A `--model` the catalog
 * does not have, or cannot serve through these APIs, is refused with the models that would do.
 */
export function chooseModels(
  context: SetupContext,
  tool: string,
  families: readonly ApiFamily[],
): { usable: ModelRoute[]; chosen: ModelRoute } {
  const routes = modelRoutes(context.catalog);
  const usable = routes.filter((route) => route.apis.some((api) => families.includes(api)));
  const list = (models: ModelRoute[]): string => (models.length === 0 ? "none" : models.map((m) => m.id).join(", "));
  const wanted = `the ${families.map((api) => API_NAMES[api]).join(" or ")} API`;
  if (context.model !== undefined) {
    const route = routes.find((r) => r.id === context.model);
    if (route === undefined) {
      throw new UsageError(`--model ${context.model} is not in the ${context.catalog.region} catalog; ${tool} can use: ${list(usable)}`);
    }
    if (!usable.includes(route)) {
      throw new UsageError(
        `--model ${route.id} is served by ${route.apis.map((api) => API_NAMES[api]).join(", ") || "no known API"}, but ${tool} calls ${wanted}; it can use: ${list(usable)}`,
      );
    }
    return { usable, chosen: route };
  }
  const chosen = usable[0];
  if (chosen === undefined) {
    throw new UsageError(
      `no model in the ${context.catalog.region} catalog is served by ${wanted}, which ${tool} needs ` +
        `(an operator can add one: mantle-vend-admin models set <id> --add --apis ${families[0] ?? "chat-completions"})`,
    );
  }
  return { usable, chosen };
}

/** A command line for `sh -c`. */
export function shellCommand(command: TokenCommand): string {
  return [command.path, ...command.args].map(shellWord).join(" ");
}

/** "with MANTLE_VEND_URL and MANTLE_VEND_API_KEY exported", or "once the proxy serves URL": how a tool starts. */
export function startCondition(context: SetupContext): string {
  if (context.proxy !== undefined) return `once \`mantle-vend proxy\` serves ${context.proxy}`;
  return `with MANTLE_VEND_URL and ${context.keyFile ? "MANTLE_VEND_API_KEY_FILE" : "MANTLE_VEND_API_KEY"} exported`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
