/**
 * Helpers for the client suites (test/client/*.test.ts): HTTP stubs, a catalog in the API's shape
 * for them, a serialised build of client/, and CLI runs.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLIENT_DIR = join(ROOT, "client");
export const CLI = join(CLIENT_DIR, "dist", "cli.cjs");

const run = promisify(execFile);

// --- stub HTTP servers ---------------------------------------------------------

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Stub {
  url: string;
  requests: RecordedRequest[];
  server: Server;
  close(): Promise<void>;
}

/** A loopback HTTP server running `handler` on each request (body read first) and recording it. */
export async function startStub(
  handler: (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>,
): Promise<Stub> {
  const requests: RecordedRequest[] = [];
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on("data", (c: Buffer) => chunks.push(c));
    raw.on("end", () => {
      const req: RecordedRequest = {
        method: raw.method ?? "GET",
        url: raw.url ?? "/",
        headers: raw.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(req);
      void Promise.resolve(handler(req, res, raw)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A token answer of the right shape (not a working token) for stubs. */
export function fakeTokenAnswer(region = "us-east-1", nowMs = Date.now(), ttlSeconds = 3600): Record<string, unknown> {
  const issued = Math.floor(nowMs / 1000) * 1000;
  return {
    token: `bedrock-api-key-${Buffer.from(`stub-${region}-${issued}`).toString("base64")}`,
    tokenType: "bearer",
    region,
    baseUrl: `https://bedrock-mantle.${region}.api.aws/v1`,
    issuedAt: new Date(issued).toISOString(),
    expiresAt: new Date(issued + ttlSeconds * 1000).toISOString(),
    expiresInSeconds: ttlSeconds,
  };
}

// --- catalog ---------------------------------------------------------------------

interface CatalogModelFixture {
  id: string;
  name: string;
  ownedBy: string | null;
  created: number | null;
  reasoning: boolean;
  apis: string[];
  baseUrl: string;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input: string[];
}

/** A catalog in the shape of `GET /v1/models` (docs/http-api.md), for stubs, with a model on each of Mantle's three prefixes. */
export function catalogFixture(region: string, baseUrl: string): Record<string, unknown> {
  const root = baseUrl.replace(/\/v1$/, "");
  const chat = { apis: ["chat-completions"], baseUrl: `${root}/v1`, input: ["text"] };
  const models: CatalogModelFixture[] = [
    { id: "anthropic.claude-haiku-4-5", name: "anthropic.claude-haiku-4-5", ownedBy: null, created: null, reasoning: false, apis: ["messages"], baseUrl: `${root}/anthropic`, contextWindow: 200000, maxOutputTokens: 64000, input: ["text", "image"] },
    { id: "deepseek.v3.2", name: "deepseek.v3.2", ownedBy: "deepseek", created: 1764547200, reasoning: false, ...chat, contextWindow: 164000, maxOutputTokens: 8000 },
    { id: "moonshotai.kimi-k2-thinking", name: "moonshotai.kimi-k2-thinking", ownedBy: "moonshotai", created: 1762473600, reasoning: true, ...chat, contextWindow: 262143, maxOutputTokens: 16000 },
    { id: "openai.gpt-5.5", name: "openai.gpt-5.5", ownedBy: "openai", created: 1777593600, reasoning: false, apis: ["responses"], baseUrl: `${root}/openai/v1`, contextWindow: 1050000, maxOutputTokens: 128000, input: ["text", "image"] },
    { id: "openai.gpt-oss-120b", name: "openai.gpt-oss-120b", ownedBy: "openai", created: 1754352000, reasoning: true, ...chat, apis: ["chat-completions", "responses"], contextWindow: 128000, maxOutputTokens: 16000 },
    { id: "qwen.qwen3-32b", name: "qwen.qwen3-32b", ownedBy: null, created: null, reasoning: false, ...chat, contextWindow: null, maxOutputTokens: null },
  ];
  return {
    region,
    baseUrl,
    checkedAt: "2026-11-25T11:00:00.000Z",
    changedAt: "2026-11-20T09:30:00.000Z",
    stale: false,
    models,
  };
}

// --- build -------------------------------------------------------------------------

const BUILD_LOCK = join(tmpdir(), `mantle-vend-client-build-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}`);

/** Whether every file in dist/ is newer than every file the build reads. */
function distIsCurrent(): boolean {
  const times = (dir: string): number[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? times(join(dir, e.name)) : [statSync(join(dir, e.name)).mtimeMs]));
  try {
    const built = times(join(CLIENT_DIR, "dist"));
    const configs = ["package.json", "tsconfig.build.json", "tsconfig.build.cjs.json"].map((file) => statSync(join(CLIENT_DIR, file)).mtimeMs);
    const inputs = [...times(join(CLIENT_DIR, "src")), ...times(join(CLIENT_DIR, "scripts")), ...configs];
    return built.length > 0 && Math.min(...built) >= Math.max(...inputs);
  } catch {
    return false;
  }
}

/**
 * `npm run build -w @mantle-vend/client` unless dist/ is newer than its sources (npm ci builds it
 * through the workspace's prepare script), serialised across concurrently running suites (a directory
 * lock in the temp dir); a build that finished after this call began is reused. Rebuilding only when
 * needed also keeps one suite's build from deleting dist/ under another suite's running CLI.
 */
export async function buildClient(): Promise<void> {
  if (distIsCurrent()) return;
  const asked = Date.now();
  const lock = `${BUILD_LOCK}.lock`;
  const stamp = `${BUILD_LOCK}.stamp`;
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 90_000 || Date.now() - statSafe(lock) > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const built = Number(readSafe(stamp));
    if (Number.isFinite(built) && built >= asked) return;
    await run("npm", ["run", "build", "-w", "@mantle-vend/client"], { cwd: ROOT });
    writeFileSync(stamp, String(Date.now()));
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

// --- CLI runs ----------------------------------------------------------------------

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command with exactly `env` (nothing inherited), optional stdin, and collects its output. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string },
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, shell: false, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** `node client/dist/cli.cjs …` with exactly `env`. */
export function runCli(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], { env, ...(input === undefined ? {} : { input }) });
}
