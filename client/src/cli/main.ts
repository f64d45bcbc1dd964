#!/usr/bin/env node
import { lstatSync, realpathSync, writeSync } from "node:fs";
import { MantleVendClient } from "./client.js";
import { readApiKeyFile } from "./api-key-file.js";
import { parseArgs, type Command, type ParsedArgs } from "./cli-args.js";
import { MantleVendError, redact } from "./errors.js";
import { ConfigError, EXIT, UsageError } from "./exit-codes.js";
import { openClawConfig, parseResolverRequest, resolveSecrets, type OpenClawConfigMode } from "./openclaw.js";
import { isLoopbackHost } from "./loopback.js";
import { findSetupTool, SETUP_TOOLS } from "./setup/index.js";
import { shellQuote } from "./shell.js";
import { FileTokenCache } from "./token-cache.js";
import { normaliseServiceUrl } from "./transport.js";
import type { Catalog, MantleVendClientOptions } from "./types.js";
import { VERSION } from "./version.js";

const USAGE = `mantle-vend ${VERSION}: short-lived Amazon Bedrock Mantle tokens and model catalogs from a mantle-vend service

Usage: mantle-vend <command> [options]

Commands:
  token [--json] [--no-cache]          print a bearer token (cached per user until its refresh window)
  env [--no-cache]                     print export lines for AWS_BEARER_TOKEN_BEDROCK and AWS_REGION
  exec [--no-cache] -- <cmd> [args…]   run a command with those two variables set
  models [--json]                      list the region's models
  openclaw-config [--secret-ref | --proxy URL]
                                       print an OpenClaw config for the region's models
  openclaw-resolver                    OpenClaw exec secret provider (JSON on stdin and stdout)
  proxy [--port 8788] [--host 127.0.0.1] [--require-key]
                                       local proxy to Mantle that adds the token to every request
  setup <tool> [--proxy URL] [--model ID]
                                       print a ready config for a coding agent or gateway
                                       (${SETUP_TOOLS.map((t) => t.name).join(", ")})

Options for every command:
  --url URL              the service URL (default: $MANTLE_VEND_URL)
  --region REGION        the region (default: $AWS_REGION, else the server's default for the key)
  --allow-insecure-http  allow a plain http:// service URL that is not loopback
  -h, --help             help for the command

The API key is read from $MANTLE_VEND_API_KEY, or from the file $MANTLE_VEND_API_KEY_FILE names (mode 0600,
owned by you); never from the command line. Plain http:// is refused for hosts other than loopback unless
--allow-insecure-http (or MANTLE_VEND_ALLOW_INSECURE_HTTP=1) is given. A failed request (unreachable,
timeout, 429, 5xx) is retried with backoff, 3 times unless MANTLE_VEND_RETRIES says otherwise (0 to 10).
Exit codes: 0 ok, 1 server error, 2 usage, 3 missing/bad configuration, 4 server unreachable,
5 API key rejected (401), 6 region not allowed (403); exec passes its command's status through.
`;

interface Settings {
  url: string;
  apiKey: string;
  region: string | undefined;
  urlFromFlag: boolean;
  allowInsecureHttp: boolean;
  /** The key came from MANTLE_VEND_API_KEY_FILE. */
  keyFromFile: boolean;
  /** Retries of a failed request (network error, timeout, 429, 5xx) from MANTLE_VEND_RETRIES; unset = the library's default. */
  retries: number | undefined;
}

/**
 * Writes to fd 1 directly: `process.stdout` loads Node's stream (and for a pipe, net) modules, a large
 * share of a `mantle-vend token` run that a tool starts before every request. A reader that went
 * away (`mantle-vend models | head -1`) is not an error; a non-blocking pipe that is full falls back
 * to the stream, which waits for it.
 */
function stdout(text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw error;
    process.stdout.on("error", () => undefined);
    process.stdout.write(bytes.subarray(offset));
  }
}
const stderr = (line: string): void => {
  process.stderr.write(`mantle-vend: ${redact(line)}\n`);
};

function settings(args: ParsedArgs, env: NodeJS.ProcessEnv): Settings {
  const flagUrl = args.flags.get("url");
  const rawUrl = typeof flagUrl === "string" ? flagUrl : env["MANTLE_VEND_URL"];
  if (rawUrl === undefined || rawUrl.trim() === "") throw new ConfigError("no service URL: set MANTLE_VEND_URL or pass --url");
  let url: string;
  try {
    url = normaliseServiceUrl(rawUrl.trim());
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : "the service URL is not valid");
  }
  const apiKey = apiKeyFrom(env);
  const flagRegion = args.flags.get("region");
  const region = typeof flagRegion === "string" ? flagRegion : env["AWS_REGION"] !== undefined && env["AWS_REGION"] !== "" ? env["AWS_REGION"] : undefined;
  return {
    url,
    apiKey,
    region,
    urlFromFlag: typeof flagUrl === "string",
    allowInsecureHttp: allowInsecureHttp(args, env),
    keyFromFile: nonEmpty(env["MANTLE_VEND_API_KEY_FILE"]),
    retries: retriesFrom(env),
  };
}

const MAX_RETRIES = 10;

/** MANTLE_VEND_RETRIES: 0 fails at the first error, for a script that would rather retry itself. */
function retriesFrom(env: NodeJS.ProcessEnv): number | undefined {
  const value = env["MANTLE_VEND_RETRIES"]?.trim() ?? "";
  if (value === "") return undefined;
  if (!/^\d{1,2}$/.test(value) || Number(value) > MAX_RETRIES) throw new ConfigError(`MANTLE_VEND_RETRIES must be a whole number from 0 to ${MAX_RETRIES}`);
  return Number(value);
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value.trim() !== "";

/** The key from MANTLE_VEND_API_KEY, or from the file MANTLE_VEND_API_KEY_FILE names (one of the two). */
function apiKeyFrom(env: NodeJS.ProcessEnv): string {
  const inline = env["MANTLE_VEND_API_KEY"];
  const file = env["MANTLE_VEND_API_KEY_FILE"];
  if (nonEmpty(inline) && nonEmpty(file)) throw new ConfigError("set MANTLE_VEND_API_KEY or MANTLE_VEND_API_KEY_FILE, not both");
  if (nonEmpty(file)) {
    try {
      return readApiKeyFile(file.trim(), "MANTLE_VEND_API_KEY_FILE");
    } catch (error) {
      throw new ConfigError(error instanceof Error ? error.message : "MANTLE_VEND_API_KEY_FILE cannot be read");
    }
  }
  const apiKey = inline?.trim();
  if (apiKey === undefined || apiKey === "") throw new ConfigError("no API key: set MANTLE_VEND_API_KEY or MANTLE_VEND_API_KEY_FILE");
  if (/\s/.test(apiKey)) throw new ConfigError("MANTLE_VEND_API_KEY contains whitespace");
  return apiKey;
}

function allowInsecureHttp(args: ParsedArgs, env: NodeJS.ProcessEnv): boolean {
  if (args.flags.has("allow-insecure-http")) return true;
  const value = env["MANTLE_VEND_ALLOW_INSECURE_HTTP"] ?? "";
  if (value === "1" || value === "true") return true;
  if (value === "" || value === "0" || value === "false") return false;
  throw new ConfigError("MANTLE_VEND_ALLOW_INSECURE_HTTP must be 1 or 0");
}

function client(s: Settings, options: { cache: boolean } & Partial<MantleVendClientOptions>): MantleVendClient {
  const { cache, ...rest } = options;
  const store = cache ? new FileTokenCache({ url: s.url, apiKey: s.apiKey }) : undefined;
  return new MantleVendClient({
    url: s.url,
    apiKey: s.apiKey,
    allowInsecureHttp: s.allowInsecureHttp,
    ...(s.retries === undefined ? {} : { maxRetries: s.retries }),
    ...(s.region === undefined ? {} : { region: s.region }),
    ...(store === undefined ? {} : { store }),
    ...rest,
  });
}

/** Longest cell printed: a catalog is data from elsewhere, and a terminal is not the place for megabytes. */
const MAX_CELL_CHARS = 80;

/**
 * A catalog value made safe for a terminal: control characters (escape sequences among them)
 * and bidirectional overrides are shown escaped, never emitted, and long values are cut.
 */
function terminalSafe(value: string): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  return escaped.length > MAX_CELL_CHARS ? `${escaped.slice(0, MAX_CELL_CHARS - 1)}…` : escaped;
}

/** YYYY-MM-DD of unix seconds, or "-" for anything that is not a date (1e15 is year 31 million). */
function dayOf(created: unknown): string {
  if (typeof created !== "number") return "-";
  const date = new Date(created * 1000);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 ? "-" : date.toISOString().slice(0, 10);
}

function modelsTable(catalog: Catalog): string {
  // The route is the model's base URL below the region's Mantle root, e.g. /openai/v1.
  const root = catalog.baseUrl.replace(/\/v1\/?$/, "");
  const rows = catalog.models.map((m) => [
    terminalSafe(String(m.id)),
    terminalSafe(m.apis.join(",")),
    terminalSafe(m.baseUrl.startsWith(root) ? m.baseUrl.slice(root.length) || "/" : m.baseUrl),
    m.contextWindow === null ? "-" : String(m.contextWindow),
    m.maxOutputTokens === null ? "-" : String(m.maxOutputTokens),
    m.reasoning === true ? "yes" : "no",
    typeof m.ownedBy === "string" && m.ownedBy !== "" ? terminalSafe(m.ownedBy) : "-",
    dayOf(m.created),
  ]);
  const header = ["MODEL", "API", "ROUTE", "CONTEXT", "MAX OUTPUT", "REASONING", "OWNED BY", "CREATED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

/** The real path of the CLI being run: what tools run for a token (OpenClaw wants no shell, no symlink). */
function cliPath(): string {
  const path = realpathSync(process.argv[1] ?? "");
  const stat = lstatSync(path);
  if (!stat.isFile() || (stat.mode & 0o022) !== 0 || (stat.mode & 0o100) === 0) {
    stderr(`warning: ${path} must be a regular executable file that is not group/world-writable for OpenClaw to run it (chmod 755)`);
  }
  return path;
}

async function readStdin(limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new UsageError("the request on stdin is too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `--proxy URL`, normalised; a usage error for anything but an http(s) URL. */
function proxyFlag(args: ParsedArgs): string | undefined {
  const proxy = args.flags.get("proxy");
  if (typeof proxy !== "string") return undefined;
  try {
    return normaliseServiceUrl(proxy);
  } catch {
    throw new UsageError(`--proxy needs an http(s) URL, got ${JSON.stringify(proxy)}`);
  }
}

/** The flags a command a tool runs needs to reach the same service as this one. */
function serviceArgs(s: Settings): string[] {
  return [...(s.urlFromFlag ? ["--url", s.url] : []), ...(s.allowInsecureHttp ? ["--allow-insecure-http"] : [])];
}

interface CommandHandler {
  /** What `mantle-vend <command> --help` prints. */
  help: string;
  run(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number>;
}

/** One entry per command: its help text and its handler. */
const COMMANDS: Record<Exclude<Command, "help">, CommandHandler> = {
  token: {
    help: `Usage: mantle-vend token [--json] [--no-cache] [--url URL] [--region REGION]

Prints a Mantle bearer token for the region: the bare token, or with --json the server's token object
({token, tokenType, region, baseUrl, issuedAt, expiresAt, expiresInSeconds}).
Tokens are cached per user ($XDG_CACHE_HOME/mantle-vend, else ~/.cache/mantle-vend; mode 0600) and
reused until their refresh window, so running this before every request is cheap. --no-cache always asks
the server and leaves the cache alone.
`,
    async run(args, env) {
      const s = settings(args, env);
      const token = await client(s, { cache: !args.flags.has("no-cache") }).getToken();
      stdout(args.flags.has("json") ? `${JSON.stringify(token, null, 2)}\n` : `${token.token}\n`);
      return EXIT.OK;
    },
  },
  env: {
    help: `Usage: mantle-vend env [--no-cache] [--url URL] [--region REGION]

Prints shell lines that set AWS_BEARER_TOKEN_BEDROCK and AWS_REGION, e.g.  eval "$(mantle-vend env)"
`,
    async run(args, env) {
      const s = settings(args, env);
      const token = await client(s, { cache: !args.flags.has("no-cache") }).getToken();
      stdout(`export AWS_BEARER_TOKEN_BEDROCK=${shellQuote(token.token)}\nexport AWS_REGION=${shellQuote(token.region)}\n`);
      return EXIT.OK;
    },
  },
  exec: {
    help: `Usage: mantle-vend exec [--no-cache] [--url URL] [--region REGION] -- <command> [args…]

Runs the command with AWS_BEARER_TOKEN_BEDROCK and AWS_REGION added to the environment. Its exit status
is passed through (a death by signal is re-raised); signals sent to mantle-vend are forwarded to it.
The token is fixed when the command starts: long-running commands outlive it (use proxy instead).
`,
    async run(args, env) {
      if (args.rest.length === 0) throw new UsageError("exec needs a command: mantle-vend exec -- <command> [args…]");
      const s = settings(args, env);
      const token = await client(s, { cache: !args.flags.has("no-cache") }).getToken();
      // The child gets the short-lived token, never the long-lived API key that minted it.
      const { MANTLE_VEND_API_KEY: _apiKey, MANTLE_VEND_API_KEY_FILE: _apiKeyFile, ...childEnv } = env;
      const { runCommand } = await import("./exec.js");
      return runCommand(args.rest, { ...childEnv, AWS_BEARER_TOKEN_BEDROCK: token.token, AWS_REGION: token.region }, stderr);
    },
  },
  models: {
    help: `Usage: mantle-vend models [--json] [--url URL] [--region REGION]

Prints the region's model catalog as a table (each model's API, route, context window and output
limit), or with --json the server's catalog object.
`,
    async run(args, env) {
      const s = settings(args, env);
      const catalog = await client(s, { cache: false }).listModels();
      if (args.flags.has("json")) stdout(`${JSON.stringify(catalog, null, 2)}\n`);
      else {
        stdout(modelsTable(catalog));
        if (catalog.stale === true) stderr(`note: the ${catalog.region} catalog is stale (last checked ${catalog.checkedAt})`);
      }
      return EXIT.OK;
    },
  },
  "openclaw-config": {
    help: `Usage: mantle-vend openclaw-config [--secret-ref | --proxy URL] [--url URL] [--region REGION]

Prints a complete OpenClaw config object with the region's models under
models.providers["amazon-bedrock-mantle"]:
  (default)      apiKey is an env SecretRef to AWS_BEARER_TOKEN_BEDROCK (run the gateway under exec)
  --secret-ref   apiKey is resolved by this CLI's openclaw-resolver (declared under secrets.providers)
  --proxy URL    baseUrl is the mantle-vend proxy at URL, which adds the token itself
`,
    async run(args, env) {
      if (args.flags.has("secret-ref") && args.flags.has("proxy")) throw new UsageError("--secret-ref and --proxy exclude each other");
      const proxyUrl = proxyFlag(args);
      const s = settings(args, env);
      const catalog = await client(s, { cache: false }).listModels();
      let mode: OpenClawConfigMode = { kind: "env" };
      if (proxyUrl !== undefined) mode = { kind: "proxy", url: proxyUrl };
      else if (args.flags.has("secret-ref")) {
        mode = { kind: "secret-ref", command: cliPath(), args: ["openclaw-resolver", ...serviceArgs(s)], keyFile: s.keyFromFile };
      }
      stdout(`${JSON.stringify(openClawConfig(catalog, mode), null, 2)}\n`);
      return EXIT.OK;
    },
  },
  "openclaw-resolver": {
    help: `Usage: mantle-vend openclaw-resolver [--url URL] [--region REGION]

OpenClaw's exec secret provider: reads {"protocolVersion":1,"provider":"…","ids":["us-east-1",…]} on stdin
and writes {"protocolVersion":1,"values":{…},"errors":{…}} on stdout. Each id is a region, or "default".
`,
    async run(args, env) {
      let request;
      try {
        request = parseResolverRequest(await readStdin());
      } catch (error) {
        throw new UsageError(`openclaw-resolver: ${error instanceof Error ? error.message : String(error)}`);
      }
      const s = settings(args, env);
      // OpenClaw gives a resolver 5 s: short attempts, one quick retry.
      const c = client(s, { cache: true, timeoutMs: 1_500, maxRetries: 1, retryMaxDelayMs: 300 });
      const response = await resolveSecrets(request, (region) => c.getToken(region === undefined ? {} : { region }));
      stdout(`${JSON.stringify(response)}\n`);
      return EXIT.OK;
    },
  },
  proxy: {
    help: `Usage: mantle-vend proxy [--port 8788] [--host 127.0.0.1] [--require-key] [--url URL] [--region REGION]

Serves the region's Mantle root (/v1/…, /openai/v1/…, /anthropic/…), replacing the incoming
authorization / x-api-key header with a token that has at least 60 s left. Requests are routed by
their model with the team catalog: a model served under another prefix is sent there
(/v1/responses → /openai/v1/responses for GPT-5), a model that lacks the called API gets a 400 naming
where it is served, and GET /v1/models answers the team's curated list.
Only requests whose Host names this listener (127.0.0.1, localhost, [::1] or --host, with the port) are
served; requests with an Origin header or a cross-site Sec-Fetch-Site (web pages) get 403; OPTIONS is
answered locally. Tokens go only to the Mantle roots the service lists in /v1/regions.
  --require-key  demand a random key, printed once at start, as Authorization: Bearer or x-api-key
Without --require-key it has no authentication of its own: keep it on loopback.
`,
    async run(args, env) {
      const s = settings(args, env);
      const hostFlag = args.flags.get("host");
      const portFlag = args.flags.get("port");
      const host = typeof hostFlag === "string" ? hostFlag : "127.0.0.1";
      const portText = typeof portFlag === "string" ? portFlag : "8788";
      if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port needs a port number, got ${portText}`);
      const c = client(s, { cache: false });
      const first = await c.getToken({ minValiditySeconds: 60 }); // fail fast on a bad key or URL
      const { startProxy } = await import("./proxy.js");
      const requireKey = args.flags.has("require-key");
      const running = await startProxy({ client: c, ...(s.region === undefined ? {} : { region: s.region }), port: Number(portText), host, requireKey, log: stderr });
      if (!isLoopbackHost(host) && !requireKey) stderr(`warning: the proxy has no authentication and listens on ${host}: anyone who reaches it can use Mantle (use --require-key)`);
      process.stderr.write(`mantle-vend proxy listening on ${running.url} → Mantle ${first.region} (${first.baseUrl.replace(/\/v1$/, "")})\n`);
      if (running.key !== undefined) {
        // Shown once, here only (not through the redacting log): callers use it as their API key.
        process.stderr.write(`mantle-vend proxy key (send it as "Authorization: Bearer <key>" or "x-api-key: <key>"; shown once):\n${running.key}\n`);
      }
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await running.close();
      return EXIT.OK;
    },
  },
  setup: {
    help: `Usage: mantle-vend setup <tool> [--proxy URL] [--model ID] [--url URL] [--region REGION]

Prints, on stdout, a ready configuration in the tool's own format for working through mantle-vend, and
on stderr one line saying where it goes and how to start. Tools:
${SETUP_TOOLS.map((t) => `  ${t.name.padEnd(12)} ${t.summary}`).join("\n")}
Each tool gets its own refreshing-token mechanism where it has one (a command it runs for a token), else
the proxy; --proxy URL sends every tool through the mantle-vend proxy at URL. --model picks the default
model (else the first of the region's catalog that the tool can call). Nothing printed holds the API
key: export MANTLE_VEND_URL and MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE) where the tool runs.
`,
    async run(args, env) {
      const name = args.rest[0];
      const tool = name === undefined ? undefined : findSetupTool(name);
      if (tool === undefined) {
        const tools = SETUP_TOOLS.map((t) => t.name).join(", ");
        throw new UsageError(name === undefined ? `setup needs a tool: one of ${tools}` : `unknown tool "${name}" for setup: one of ${tools}`);
      }
      const proxy = proxyFlag(args)?.replace(/\/v1$/, "");
      const model = args.flags.get("model");
      const s = settings(args, env);
      const catalog = await client(s, { cache: false }).listModels();
      const path = cliPath();
      const output = tool.build({
        catalog,
        region: catalog.region,
        proxy,
        model: typeof model === "string" ? model : undefined,
        tokenCommand: (mode) => ({
          path,
          args: ["token", "--region", catalog.region, ...serviceArgs(s), ...(mode === "fresh" ? ["--no-cache"] : [])],
        }),
        resolverCommand: { path, args: ["openclaw-resolver", ...serviceArgs(s)] },
        keyFile: s.keyFromFile,
      });
      stdout(output.text);
      stderr(output.hint);
      return EXIT.OK;
    },
  },
};

function helpFor(topic: string | undefined): string {
  if (topic === undefined) return USAGE;
  const command = Object.entries(COMMANDS).find(([name]) => name === topic);
  return command === undefined ? USAGE : command[1].help;
}

async function run(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.has("version") && args.command === undefined) {
    stdout(`${VERSION}\n`);
    return EXIT.OK;
  }
  if (args.command === undefined || args.command === "help") {
    if (args.command === undefined && !args.flags.has("help")) {
      process.stderr.write(USAGE);
      return EXIT.USAGE;
    }
    stdout(helpFor(args.rest[0]));
    return EXIT.OK;
  }
  const command = COMMANDS[args.command];
  if (args.flags.has("help")) {
    stdout(command.help);
    return EXIT.OK;
  }
  return command.run(args, process.env);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof ConfigError) return EXIT.CONFIG;
  if (error instanceof MantleVendError) {
    if (error.code === "invalid_options") return EXIT.CONFIG;
    if (error.status === 0 && (error.code === "network_error" || error.code === "timeout")) return EXIT.UNREACHABLE;
    if (error.status === 401) return EXIT.UNAUTHORIZED;
    if (error.status === 403) return EXIT.FORBIDDEN;
  }
  return EXIT.FAILURE;
}

function describe(error: unknown): string {
  if (error instanceof UsageError) return `${error.message} (see mantle-vend --help)`;
  if (error instanceof MantleVendError) {
    if (error.status === 401) return `the server rejected the API key (401 ${error.code}): ${error.message}`;
    if (error.status === 0) return error.message;
    return `${error.message} (HTTP ${error.status} ${error.code}${error.requestId === undefined ? "" : `, request ${error.requestId}`})`;
  }
  if (error instanceof Error && (error.name === "ConfigError" || error.name === "UsageError")) return error.message;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    stderr(describe(error));
    process.exitCode = exitCodeFor(error);
  },
);
