/**
 * Local emulator of Amazon Bedrock Mantle (offline mode, docs/operations.md).
 *
 * Serves one Mantle root per region at `http://127.0.0.1:<port>/<region>` and
 * verifies every bearer token the way Mantle does: SigV4 signature of the
 * presigned `CallWithBearerToken` POST, region of the credential scope, expiry.
 *
 * Used by the test suites and by the local dev server's offline mode, so it
 * must not import vitest.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, timingSafeEqual } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { MANTLE_REGIONS } from "../regions.js";
import { isRecord } from "../guards.js";
import { hookRefusal, ownHosts } from "./hook-guard.js";
import { apiPath, familyTraits, parseApiPath, type ModelApi, type MantleRoute } from "../catalog/index.js";
import {
  anthropicMessage,
  anthropicStream,
  chatCompletion,
  chatStream,
  countWords,
  planTurn,
  readConversation,
  responseObject,
  responseStream,
  type Reply,
} from "./mantle-wire.js";

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

export interface EmulatorCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Expiry of the signing credentials; a token never outlives them. */
  readonly expiration?: Date;
}

/**
 * One entry of `GET /v1/models` as it goes on the wire (`object: "model"` is
 * added). Only `id` is guaranteed by Mantle, so every other field is optional
 * and extra fields pass through untouched.
 */
export interface EmulatorModel {
  readonly id: string;
  readonly created?: number | null;
  readonly owned_by?: string;
  /** How Mantle serves it; default: the family rules of the catalog (lambda/catalog/routes.ts). Not sent. */
  readonly serving?: ModelServing;
  /** Served but left out of `GET /v1/models`, as Mantle does with some Claude models. Not sent. */
  readonly unlisted?: boolean;
  readonly [extra: string]: unknown;
}

/** The one path prefix that serves a model, and the APIs it answers there. */
interface ModelServing {
  readonly route: MantleRoute;
  readonly apis: readonly ModelApi[];
}

export type FailureMode =
  | "http500"
  | "timeout"
  | "garbage"
  | "not-list"
  | "non-utf8"
  | "slow"
  | "oversized";

export interface EmulatorCall {
  readonly region: string;
  readonly method: string;
  /** Path below the region root, without the query string, e.g. `/v1/models`. */
  readonly path: string;
  /** Status sent; 0 when the emulator never answers ("timeout" mode). */
  readonly status: number;
}

export interface EmulatorStartOptions {
  host?: string;
  port?: number;
  credentials?: EmulatorCredentials[];
  now?: () => number;
  catalogs?: Record<string, EmulatorModel[]>;
  /**
   * Wait between streamed events: 0 by default, which still writes each event in its own turn
   * of the event loop (a separate network write, what clients must cope with) without making
   * anyone wait; a test that needs a visible gap sets it and paces it with `pause`.
   */
  streamChunkDelayMs?: number;
  /**
   * How the emulator waits between streamed events and between the bytes of a "slow" body
   * (a real timer of `ms` by default); a test can pace it itself instead.
   */
  pause?: (ms: number) => Promise<void>;
  gzip?: boolean;
}

export interface VerifyOptions {
  readonly region: string;
  readonly nowMs: number;
  readonly credentials: readonly EmulatorCredentials[];
}

export type VerifyResult =
  | { ok: true; accessKeyId: string; signedAt: Date; expiresAt: Date }
  | { ok: false; reason: string };

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly region: string;
  readonly method: string;
  readonly path: string;
  readonly acceptsGzip: boolean;
}


// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------


/**
 * Fixed credentials for offline mode. They are not secret: they only ever
 * sign tokens for this emulator.
 */
export const EMULATOR_CREDENTIALS: EmulatorCredentials = Object.freeze({
  accessKeyId: "AKIAMANTLEVENDLOCAL0",
  secretAccessKey: "mantleVendLocalEmulatorSecretKey00000000",
});

const DEFAULT_CATALOG: readonly EmulatorModel[] = [
  { id: "openai.gpt-oss-120b", created: 1754352000, owned_by: "openai" },
  { id: "openai.gpt-oss-20b", created: 1754352000, owned_by: "openai" },
  { id: "openai.gpt-oss-safeguard-120b", created: 1761782400, owned_by: "openai" },
  { id: "moonshotai.kimi-k2-thinking", created: 1762473600, owned_by: "moonshotai" },
  { id: "deepseek.v3.2", created: 1764547200, owned_by: "deepseek" },
  { id: "mistral.devstral-2-123b", created: 1765152000, owned_by: "mistral" },
  { id: "qwen.qwen3-32b", created: 1745884800, owned_by: "qwen" },
  { id: "google.gemma-3-27b-it", created: 1741737600, owned_by: "google" },
  // One model of each other route: GPT-5 answers Responses on /openai/v1 only, Claude Messages on /anthropic.
  { id: "openai.gpt-5.5", created: 1777593600, owned_by: "openai" },
  { id: "anthropic.claude-haiku-4-5", created: 1760486400, owned_by: "anthropic" },
  { id: "anthropic.claude-sonnet-4-5", created: 1759190400, owned_by: "anthropic" },
];

/**
 * `GET <emulator url>/_emulator/calls` lists the calls the emulator answered ({@link EmulatorCall}):
 * a status other than 401 means the bearer token was verified. With `?fingerprints=1` each also
 * carries `token`, a fingerprint of its bearer token (never the token), so a test can tell tokens
 * apart. Not a Mantle route.
 */
export const CALLS_PATH = "/_emulator/calls";
/**
 * `POST <emulator url>/_emulator/faults` with `{"expireFirstTokenAfter": n}`: see
 * {@link MantleEmulator.expireFirstTokenAfter}. For tests of other processes; not a Mantle route.
 */
const FAULTS_PATH = "/_emulator/faults";
/** Every hook lives below this path; none is a Mantle route (Mantle's are below a region). */
const HOOKS_PREFIX = "/_emulator/";
const TOKEN_PREFIX = "bedrock-api-key-";
const TOKEN_HOST = "bedrock.amazonaws.com";
const SERVICE = "bedrock";
const MAX_EXPIRES_SECONDS = 43_200;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
const OVERSIZED_MIN_BYTES = 4 * 1024 * 1024;
const SLOW_BYTE_INTERVAL_MS = 50;

// ---------------------------------------------------------------------------
// Token verification (pure)
// ---------------------------------------------------------------------------

interface ParsedToken {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly amzDate: string;
  readonly signedAtMs: number;
  readonly expiresSeconds: number;
  readonly sessionToken: string | undefined;
  readonly signature: string;
}

/**
 * Decodes a token and requires exactly the shape the token generator emits:
 * any other parameter, order or encoding is rejected, because real Mantle
 * accepts nothing else either.
 */
function parseToken(token: string): ParsedToken | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const b64 = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const raw = Buffer.from(b64, "base64");
  // Non-canonical base64 would let two strings carry one token.
  if (raw.toString("base64") !== b64) return undefined;
  const url = raw.toString("utf8");
  const head = `${TOKEN_HOST}/?`;
  if (!url.startsWith(head)) return undefined;

  const pairs: Array<[string, string]> = [];
  for (const part of url.slice(head.length).split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return undefined;
    }
    // The generator always escapes with SigV4 URI encoding; anything else is forged.
    if (uriEscape(value) !== part.slice(eq + 1)) return undefined;
    pairs.push([part.slice(0, eq), value]);
  }
  const hasSessionToken = pairs.some(([k]) => k === "X-Amz-Security-Token");
  const expectedKeys = [
    "Action",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    ...(hasSessionToken ? ["X-Amz-Security-Token"] : []),
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "Version",
  ];
  if (pairs.length !== expectedKeys.length) return undefined;
  if (!pairs.every(([k], i) => k === expectedKeys[i])) return undefined;
  const q = new Map(pairs);

  if (q.get("Action") !== "CallWithBearerToken") return undefined;
  if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return undefined;
  if (q.get("X-Amz-SignedHeaders") !== "host") return undefined;
  if (q.get("Version") !== "1") return undefined;

  const credential = /^([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/.exec(
    q.get("X-Amz-Credential") ?? "",
  );
  const amzDate = q.get("X-Amz-Date") ?? "";
  const signedAtMs = parseAmzDate(amzDate);
  const expires = q.get("X-Amz-Expires") ?? "";
  const signature = q.get("X-Amz-Signature") ?? "";
  const sessionToken = q.get("X-Amz-Security-Token");
  if (!credential || signedAtMs === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(expires) || Number(expires) > MAX_EXPIRES_SECONDS) return undefined;
  if (!/^[0-9a-f]{64}$/.test(signature)) return undefined;
  if (sessionToken === "") return undefined;

  const [, accessKeyId = "", scopeDate = "", scopeRegion = "", scopeService = ""] = credential;
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    amzDate,
    signedAtMs,
    expiresSeconds: Number(expires),
    sessionToken,
    signature,
  };
}

/** `yyyymmddThhmmssZ` → epoch ms, or undefined when not a real instant. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC silently rolls 20250231 over into March; reject instead.
  return formatAmzDate(ms) === value ? ms : undefined;
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** RFC 3986 escaping as SigV4 (and so the token generator) applies it. */
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function computeSignature(parsed: ParsedToken, credentials: EmulatorCredentials): Promise<string> {
  const signer = new SignatureV4({
    service: SERVICE,
    region: parsed.scopeRegion,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: "POST",
      protocol: "https:",
      hostname: TOKEN_HOST,
      path: "/",
      query: { Action: "CallWithBearerToken" },
      headers: { host: TOKEN_HOST },
    },
    { signingDate: new Date(parsed.signedAtMs), expiresIn: parsed.expiresSeconds },
  );
  const signature = presigned.query?.["X-Amz-Signature"];
  return typeof signature === "string" ? signature : "";
}

function hexEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/**
 * Verifies a Mantle bearer token as Mantle would. Pure apart from being async:
 * `SignatureV4.presign` only exists as a Promise API.
 *
 * Reasons are fixed strings and never contain any part of the token.
 */
export async function verifyBearerToken(token: string, opts: VerifyOptions): Promise<VerifyResult> {
  const parsed = parseToken(token);
  if (!parsed) return { ok: false, reason: "malformed token" };
  if (parsed.scopeService !== SERVICE) return { ok: false, reason: "credential scope is not for the bedrock service" };
  if (parsed.scopeDate !== parsed.amzDate.slice(0, 8)) return { ok: false, reason: "credential scope date does not match X-Amz-Date" };
  if (parsed.scopeRegion !== opts.region) return { ok: false, reason: "token was signed for another region" };

  const credentials = opts.credentials.find((c) => c.accessKeyId === parsed.accessKeyId);
  if (!credentials) return { ok: false, reason: "unknown access key" };
  if ((credentials.sessionToken || undefined) !== parsed.sessionToken) {
    return { ok: false, reason: "security token does not match the credentials" };
  }
  let expected: string;
  try {
    expected = await computeSignature(parsed, credentials);
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (!hexEqual(expected, parsed.signature)) return { ok: false, reason: "signature does not match" };

  if (parsed.signedAtMs - opts.nowMs > MAX_CLOCK_SKEW_MS) return { ok: false, reason: "token is signed in the future" };
  const tokenExpiry = parsed.signedAtMs + parsed.expiresSeconds * 1000;
  const credentialsExpiry = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
  const expiresAtMs = Math.min(tokenExpiry, credentialsExpiry);
  if (opts.nowMs > expiresAtMs) return { ok: false, reason: "token has expired" };

  return {
    ok: true,
    accessKeyId: parsed.accessKeyId,
    signedAt: new Date(parsed.signedAtMs),
    expiresAt: new Date(expiresAtMs),
  };
}

// ---------------------------------------------------------------------------
// Pure response builders
// ---------------------------------------------------------------------------

function modelList(models: readonly EmulatorModel[]): unknown {
  const listed = models.filter((m) => m.unlisted !== true);
  return { object: "list", data: listed.map(({ serving: _serving, unlisted: _unlisted, ...wire }) => ({ object: "model", ...wire })) };
}

/** Mantle's error body on its OpenAI surfaces; the SDK reads message, type, param and code. */
function openAiError(message: string, type: string, code: string): unknown {
  return { error: { message, type, param: null, code } };
}

/** On `/anthropic` Mantle answers in the Anthropic shape, whose SDK reads `error.type` and `error.message`. */
function anthropicError(message: string, type: string): unknown {
  return { type: "error", error: { type, message } };
}

function replyText(region: string, model: string): string {
  return `Hello from the Mantle emulator in ${region}, answering as ${model}.`;
}

/** How Mantle serves a model: its own `serving`, else the family rules mantle-vend's catalog uses. */
function servingOf(model: EmulatorModel): ModelServing {
  if (model.serving !== undefined) return model.serving;
  const { route, apis } = familyTraits(model.id);
  return { route, apis };
}

/** Mantle's refusal of a served model on this path, or undefined when the path serves it. */
function routeRefusal(model: string, serving: ModelServing, route: MantleRoute, api: ModelApi): { message: string; code: string } | undefined {
  if (api === "messages" && !serving.apis.includes("messages")) {
    return { message: `The model '${model}' does not support the '${apiPath(route, api)}' API`, code: "invalid_request_error" };
  }
  if (serving.route !== route) return { message: `model \`${model}\` isn't supported on this route`, code: "validation_error" };
  if (!serving.apis.includes(api)) {
    return { message: `The model '${model}' does not support the '${apiPath(route, api)}' API`, code: "validation_error" };
  }
  return undefined;
}

let oversizedBody: Buffer | undefined;

/** A valid list that is just over 4 MiB; built once because it is large. */
function oversizedModelList(): Buffer {
  if (!oversizedBody) {
    const data: EmulatorModel[] = [];
    // Count the exact serialized size of each entry plus its comma separator.
    let size = JSON.stringify(modelList([])).length;
    for (let i = 0; size <= OVERSIZED_MIN_BYTES; i++) {
      const model = { id: `emulator.filler-model-${String(i).padStart(7, "0")}`, created: 1700000000, owned_by: "emulator" };
      data.push(model);
      size += JSON.stringify({ object: "model", ...model }).length + 1;
    }
    oversizedBody = Buffer.from(JSON.stringify(modelList(data)), "utf8");
  }
  return oversizedBody;
}

function nonUtf8ModelList(): Buffer {
  return Buffer.concat([
    Buffer.from('{"object":"list","data":[{"id":"openai.gpt-oss-', "utf8"),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
    Buffer.from('","object":"model"}]}', "utf8"),
  ]);
}

/** The first 12 hex digits of the bearer token's sha256: tells tokens apart without showing one. */
function fingerprintOf(req: IncomingMessage): string | undefined {
  const token = bearerFrom(req);
  return token === undefined ? undefined : createHash("sha256").update(token, "utf8").digest("hex").slice(0, 12);
}

function bearerFrom(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = typeof header === "string" ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return m?.[1];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export class MantleEmulator {
  readonly url: string;
  /** Value for MANTLE_VEND_MANTLE_ENDPOINT: the service substitutes `{region}`. */
  readonly endpointTemplate: string;

  private readonly server: Server;
  /** The Host values the test hooks answer (see hook-guard.ts). */
  private readonly hosts: ReadonlySet<string>;
  private readonly credentials: readonly EmulatorCredentials[];
  private readonly catalogs = new Map<string, readonly EmulatorModel[]>();
  private readonly failures = new Map<string, FailureMode>();
  private readonly streamChunkDelayMs: number;
  private readonly pause: (ms: number) => Promise<void>;
  private readonly callLog: EmulatorCall[] = [];
  private readonly holdListeners = new Set<(region: string) => void>();
  /** The bearer fingerprint of each call in {@link callLog}, same index. */
  private readonly tokenLog: Array<string | undefined> = [];
  /** The token that dies after some inference requests, once armed by {@link expireFirstTokenAfter}. */
  private dying: { fingerprint: string | undefined; requestsLeft: number } | undefined;
  private now: () => number;
  private gzip: boolean;
  /** The mantle-vend service in front of this emulator, once it listens (npm start), for the 404 of a wrong address. */
  private serviceUrl: string | undefined;
  private nextId = 1;


  private constructor(server: Server, url: string, opts: EmulatorStartOptions, hosts: ReadonlySet<string>) {
    this.server = server;
    this.url = url;
    this.hosts = hosts;
    this.endpointTemplate = `${url}/{region}`;
    this.credentials = opts.credentials ?? [EMULATOR_CREDENTIALS];
    this.now = opts.now ?? Date.now;
    this.streamChunkDelayMs = opts.streamChunkDelayMs ?? 0;
    this.pause = opts.pause ?? sleep;
    this.gzip = opts.gzip ?? false;
    for (const [region, models] of Object.entries(opts.catalogs ?? {})) this.setCatalog(region, models);
  }

  static async start(opts: EmulatorStartOptions = {}): Promise<MantleEmulator> {
    const host = opts.host ?? "127.0.0.1";
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    // A wildcard bind is reachable on loopback; a literal IPv6 needs brackets in a URL.
    const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    const emulator = new MantleEmulator(server, `http://${urlHost}:${port}`, opts, ownHosts(host, port));
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void emulator.handle(req, res));
    return emulator;
  }

  rootFor(region: string): string {
    return `${this.url}/${region}`;
  }

  setNow(fn: () => number): void {
    this.now = fn;
  }

  /** Names the service that signs for this emulator, so a client sent here by mistake learns its address. */
  setServiceUrl(url: string): void {
    this.serviceUrl = url;
  }

  setGzip(on: boolean): void {
    this.gzip = on;
  }

  setCatalog(region: string, models: readonly EmulatorModel[]): void {
    this.catalogs.set(region, [...models]);
  }

  setFailure(region: string, mode: FailureMode | null): void {
    if (mode === null) this.failures.delete(region);
    else this.failures.set(region, mode);
  }

  get calls(): ReadonlyArray<EmulatorCall> {
    return this.callLog;
  }

  count(filter: { region?: string; path?: string } = {}): number {
    return this.callLog.filter(
      (c) => (filter.region === undefined || c.region === filter.region) && (filter.path === undefined || c.path === filter.path),
    ).length;
  }

  resetCalls(): void {
    this.callLog.length = 0;
    this.tokenLog.length = 0;
  }

  /**
   * The next valid token the emulator sees answers `requests` inference requests, then is refused as
   * expired (also on other routes): what Mantle does to a token whose signing credentials expired
   * before its `X-Amz-Expires`. Lets a test of a long-running tool kill its first token mid-turn.
   */
  expireFirstTokenAfter(requests: number): void {
    this.dying = { fingerprint: undefined, requestsLeft: requests };
  }

  /** True when the dying token has had its requests (counting this one if it is an inference request). */
  private diesNow(fingerprint: string, method: string): boolean {
    const dying = this.dying;
    if (dying === undefined) return false;
    dying.fingerprint ??= fingerprint;
    if (dying.fingerprint !== fingerprint) return false;
    if (dying.requestsLeft <= 0) return true;
    if (method === "POST") dying.requestsLeft--;
    return false;
  }

  /** Stops listening and destroys every open socket, including keep-alive and hung ones. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  // --- dispatch -------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const pathname = new URL(req.url ?? "/", "http://emulator").pathname;
    const slash = pathname.indexOf("/", 1);
    const region = slash === -1 ? pathname.slice(1) : pathname.slice(1, slash);
    const path = slash === -1 ? "/" : pathname.slice(slash);
    const acceptEncoding = req.headers["accept-encoding"];
    const ctx: RequestContext = {
      req,
      res,
      region,
      method,
      path,
      acceptsGzip: typeof acceptEncoding === "string" && /\bgzip\b/i.test(acceptEncoding),
    };
    try {
      if (pathname.startsWith(HOOKS_PREFIX)) {
        const refused = hookRefusal(method, req.headers, this.hosts);
        if (refused !== undefined) return this.answerHook(ctx, refused.status, openAiError(refused.message, "invalid_request_error", "forbidden"));
      }
      if (method === "GET" && pathname === CALLS_PATH) {
        // For tests of other processes (npm start --offline): what this emulator answered, token checks included.
        const fingerprints = new URL(req.url ?? "/", "http://emulator").searchParams.get("fingerprints") === "1";
        const calls = fingerprints ? this.callLog.map((call, i) => ({ ...call, token: this.tokenLog[i] })) : this.callLog;
        return this.answerHook(ctx, 200, { calls });
      }
      if (method === "POST" && pathname === FAULTS_PATH) return await this.setFaults(ctx);
      if (!MANTLE_REGIONS.includes(region)) {
        // Most often a client given the emulator's address for the service's: say which is which.
        const service = this.serviceUrl === undefined ? "" : `; the mantle-vend service is at ${this.serviceUrl}`;
        return this.sendJson(ctx, 404, openAiError(`Unknown region. This is the Mantle emulator of npm start's offline mode, not the mantle-vend service${service}.`, "invalid_request_error", "not_found"));
      }
      const auth = await verifyBearerToken(bearerFrom(req) ?? "", {
        region,
        nowMs: this.now(),
        credentials: this.credentials,
      });
      if (!auth.ok) {
        const reason = bearerFrom(req) === undefined ? "missing bearer token" : auth.reason;
        return this.sendJson(ctx, 401, openAiError(`Authentication failed: ${reason}.`, "invalid_request_error", "invalid_api_key"));
      }
      if (this.diesNow(fingerprintOf(req) ?? "", method)) {
        return this.sendJson(ctx, 401, openAiError("Authentication failed: token has expired.", "invalid_request_error", "invalid_api_key"));
      }
      const called = parseApiPath(path);
      if (path !== "/v1/models" && called === undefined) {
        return this.sendJson(ctx, 404, openAiError("Not found.", "invalid_request_error", "not_found"));
      }
      if (method !== (called === undefined ? "GET" : "POST")) {
        return this.sendJson(ctx, 405, openAiError("Method not allowed.", "invalid_request_error", "method_not_allowed"));
      }
      return called === undefined ? this.listModels(ctx) : await this.inference(ctx, called.route, called.api);
    } catch {
      if (!res.headersSent) this.sendJson(ctx, 500, openAiError("Internal error.", "server_error", "internal_error"));
      else res.destroy();
    }
  }

  /**
   * Calls `listener` with the region each time a "timeout" or "slow" failure starts holding a
   * /v1/models request, so a test can end the client's wait then instead of on a real timer.
   */
  onHold(listener: (region: string) => void): () => void {
    this.holdListeners.add(listener);
    return () => this.holdListeners.delete(listener);
  }

  private held(ctx: RequestContext): void {
    for (const listener of this.holdListeners) listener(ctx.region);
  }

  private record(ctx: RequestContext, status: number): void {
    this.callLog.push({ region: ctx.region, method: ctx.method, path: ctx.path, status });
    this.tokenLog.push(fingerprintOf(ctx.req));
  }

  private async setFaults(ctx: RequestContext): Promise<void> {
    const body = await this.readJson(ctx);
    const after = body?.["expireFirstTokenAfter"];
    if (body === undefined || Object.keys(body).some((k) => k !== "expireFirstTokenAfter") || !Number.isInteger(after) || (after as number) < 0) {
      return this.answerHook(ctx, 400, openAiError("Body must be {\"expireFirstTokenAfter\": <integer >= 0>}.", "invalid_request_error", "invalid_request"));
    }
    this.expireFirstTokenAfter(after as number);
    this.answerHook(ctx, 200, { expireFirstTokenAfter: after });
  }

  /** A hook's answer: JSON, and not a call of the log (hooks are not Mantle routes). */
  private answerHook(ctx: RequestContext, status: number, value: unknown): void {
    const text = Buffer.from(JSON.stringify(value), "utf8");
    ctx.res.writeHead(status, { "content-type": "application/json", "content-length": text.length }).end(text);
    ctx.req.resume();
  }

  private send(ctx: RequestContext, status: number, body: Buffer, contentType: string): void {
    this.record(ctx, status);
    ctx.res.writeHead(status, { "content-type": contentType, "content-length": body.length });
    ctx.res.end(body);
  }

  private sendJson(ctx: RequestContext, status: number, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value), "utf8");
    if (this.gzip && ctx.acceptsGzip) {
      const compressed = gzipSync(body);
      this.record(ctx, status);
      ctx.res.writeHead(status, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": compressed.length,
        vary: "accept-encoding",
      });
      ctx.res.end(compressed);
      return;
    }
    this.send(ctx, status, body, "application/json");
  }

  private async readJson(ctx: RequestContext): Promise<Record<string, unknown> | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_REQUEST_BODY_BYTES) return undefined;
      chunks.push(buf);
    }
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      return isRecord(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  // --- routes ---------------------------------------------------------------

  private listModels(ctx: RequestContext): Promise<void> | void {
    const models = this.modelsOf(ctx.region);
    const failure = this.failures.get(ctx.region);
    switch (failure) {
      case undefined:
        return this.sendJson(ctx, 200, modelList(models));
      case "http500":
        return this.sendJson(ctx, 500, openAiError("Internal server error.", "server_error", "internal_error"));
      case "timeout":
        // Hold the socket open without a byte; close() destroys it.
        this.record(ctx, 0);
        return this.held(ctx);
      case "garbage":
        // Claims JSON so a client cannot lean on the content type to notice.
        return this.send(ctx, 200, Buffer.from("<html><body>502 Bad Gateway</body></html>\n", "utf8"), "application/json");
      case "not-list":
        return this.sendJson(ctx, 200, { models: models.map((m) => m.id) });
      case "non-utf8":
        return this.send(ctx, 200, nonUtf8ModelList(), "application/json");
      case "oversized":
        return this.send(ctx, 200, oversizedModelList(), "application/json");
      case "slow":
        return this.drip(ctx, Buffer.from(JSON.stringify(modelList(models)), "utf8"));
    }
  }

  private async drip(ctx: RequestContext, body: Buffer): Promise<void> {
    this.record(ctx, 200);
    ctx.res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    ctx.res.flushHeaders();
    this.held(ctx);
    for (let offset = 0; offset < body.length; offset += 1) {
      await this.pause(SLOW_BYTE_INTERVAL_MS);
      if (ctx.res.destroyed) return;
      ctx.res.write(body.subarray(offset, offset + 1));
    }
    ctx.res.end();
  }

  /**
   * One inference call, checked as Mantle checks it: the model must be served in this region
   * (404), on this prefix and with this API (400), then answered in the API's own shapes.
   */
  private async inference(ctx: RequestContext, route: MantleRoute, api: ModelApi): Promise<void> {
    const fail = (status: number, type: string, code: string, message: string): void =>
      this.sendJson(ctx, status, api === "messages" ? anthropicError(message, type) : openAiError(message, type, code));
    const body = await this.readJson(ctx);
    const conversation = body === undefined ? "Request body must be a JSON object." : readConversation(api, body);
    if (typeof conversation === "string") return fail(400, "invalid_request_error", "invalid_request", conversation);
    const { model } = conversation;
    const served = this.modelsOf(ctx.region).find((m) => m.id === model);
    if (served === undefined) return fail(404, "not_found_error", "not_found_error", `The model '${model}' does not exist`);
    const refusal = routeRefusal(model, servingOf(served), route, api);
    if (refusal !== undefined) return fail(400, "invalid_request_error", refusal.code, refusal.message);

    const reply: Reply = { n: this.nextId++, created: Math.floor(this.now() / 1000), model, promptTokens: countWords(conversation.prompt) };
    const turn = planTurn(conversation, replyText(ctx.region, model));
    switch (api) {
      case "chat-completions":
        return conversation.stream ? this.stream(ctx, chatStream(reply, turn, conversation.includeUsage)) : this.sendJson(ctx, 200, chatCompletion(reply, turn));
      case "responses":
        return conversation.stream ? this.stream(ctx, responseStream(reply, turn)) : this.sendJson(ctx, 200, responseObject(reply, turn));
      case "messages":
        return conversation.stream ? this.stream(ctx, anthropicStream(reply, turn)) : this.sendJson(ctx, 200, anthropicMessage(reply, turn));
    }
  }

  private modelsOf(region: string): readonly EmulatorModel[] {
    return this.catalogs.get(region) ?? DEFAULT_CATALOG;
  }

  private async stream(ctx: RequestContext, frames: readonly string[]): Promise<void> {
    const { res } = ctx;
    this.record(ctx, 200);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    for (const [i, frame] of frames.entries()) {
      if (i > 0) await this.pause(this.streamChunkDelayMs);
      if (res.destroyed) return;
      res.write(frame);
    }
    res.end();
  }
}
