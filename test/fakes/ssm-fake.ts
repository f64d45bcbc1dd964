// A wire-level fake of SSM Parameter Store: the real @aws-sdk/client-ssm talks
// to it over HTTP (AWS JSON 1.1), so tests exercise the SDK's own serialisation,
// error parsing and retries rather than a mocked client.
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Faults, Holds, readBody, type FaultSpec as WireFaultSpec } from "./wire.js";

// ---------------------------------------------------------------- types

export type ParameterType = "String" | "StringList" | "SecureString";
export type ParameterTier = "Standard" | "Advanced";
/**
 * "pass" lets a matching call through untouched (so a later fault hits a later call); "hang"
 * holds it without an answer until the client hangs up — the request is then still carried
 * out, as AWS does after a client timeout — or until release() lets it answer normally.
 */
export type FaultKind = "throttle" | "5xx" | "pass" | "hang" | "down";

export type FaultSpec = WireFaultSpec<FaultKind>;

/**
 * Told of every request a "hang" fault holds, with the SDK's `amz-sdk-invocation-id`, so a
 * test's request handler can time that request out at once instead of on a real timer.
 */
export type HoldListener = (invocationId: string) => void;

/** One request as received. status 0 = not answered (still in flight, or "down"). */
export interface Call {
  action: string;
  name?: string;
  path?: string;
  status: number;
}

interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  tier: ParameterTier;
  modified: Date;
}

type JsonObject = Record<string, unknown>;
type Store = Map<string, Parameter>;
interface Context {
  store: Store;
  region: string;
}
type Handler = (input: JsonObject, ctx: Context) => JsonObject;

// ---------------------------------------------------------------- AWS limits and texts

const ACCOUNT = "123456789012";
const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;
// The API model's own ceiling, checked (with the generic wording) before the per-tier limits.
const MODEL_VALUE_MAX = 32768;
const MAX_NAMES = 10;
const MAX_PAGE = 10;
const TYPES: readonly string[] = ["String", "StringList", "SecureString"];
const TIERS: readonly string[] = ["Standard", "Advanced", "Intelligent-Tiering"];
const TIER_DOCS = "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";

class SsmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string): SsmError => new SsmError(400, "ValidationException", message);
const notFound = (name: string): SsmError => new SsmError(400, "ParameterNotFound", `Parameter ${name} not found.`);

// ---------------------------------------------------------------- pure helpers

const str = (input: JsonObject, key: string): string | undefined =>
  typeof input[key] === "string" ? (input[key] as string) : undefined;

function required(input: JsonObject, key: string): string {
  const value = str(input, key);
  if (value === undefined) {
    const member = key.charAt(0).toLowerCase() + key.slice(1);
    throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function arn(region: string, name: string): string {
  // AWS writes names without a leading slash with one inserted in the ARN.
  return `arn:aws:ssm:${region}:${ACCOUNT}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

// GetParameter without decryption returns the KMS ciphertext, not the value; a
// digest keeps it opaque (so no test can pass by accident) yet stable per version.
function ciphertext(p: Parameter): string {
  const digest = createHash("sha256").update(`${p.name}\0${p.version}\0${p.value}`).digest("base64");
  return `AQICAHh${digest}`;
}

function toWire(p: Parameter, region: string, decrypt: boolean): JsonObject {
  return {
    Name: p.name,
    Type: p.type,
    Value: p.type === "SecureString" && !decrypt ? ciphertext(p) : p.value,
    Version: p.version,
    // JSON 1.1 timestamps are epoch seconds.
    LastModifiedDate: p.modified.getTime() / 1000,
    ARN: arn(region, p.name),
    DataType: "text",
  };
}

// Value length is counted in UTF-16 units, as the service's Java String.length() does.
function effectiveTier(value: string, requested: string | undefined, existing: Parameter | undefined): ParameterTier {
  if (requested === "Intelligent-Tiering") {
    return value.length > STANDARD_MAX || existing?.tier === "Advanced" ? "Advanced" : "Standard";
  }
  if (requested === "Standard" || requested === "Advanced") return requested;
  return existing?.tier ?? "Standard";
}

function checkValue(value: string, tier: ParameterTier): void {
  if (value.length === 0) {
    throw validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.");
  }
  // The value is sensitive, so AWS leaves it out of this message ("Value at 'value'").
  if (value.length > MODEL_VALUE_MAX) {
    throw validation(`1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${MODEL_VALUE_MAX}`);
  }
  if (tier === "Standard" && value.length > STANDARD_MAX) {
    throw validation(
      `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see ${TIER_DOCS}`,
    );
  }
  if (value.length > ADVANCED_MAX) {
    throw validation(`The specified parameter value is too large. Advanced-tier parameters support a maximum parameter value of ${ADVANCED_MAX} characters.`);
  }
}

// The token only says where the last page stopped, so it stays valid across writes.
const encodeToken = (after: string): string => Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as JsonObject).after === "string") {
      return (parsed as JsonObject).after as string;
    }
  } catch {
    // falls through to the service's answer for a token it did not mint
  }
  throw new SsmError(400, "InvalidNextToken", "The specified token isn't valid.");
}

/** Whether `name` sits under `path` (its direct children only unless recursive). */
function underPath(name: string, path: string, recursive: boolean): boolean {
  // Parameters created without a leading slash still live in the root hierarchy.
  const full = name.startsWith("/") ? name : `/${name}`;
  const prefix = path.endsWith("/") ? path : `${path}/`;
  if (!full.startsWith(prefix) || full.length === prefix.length) return false;
  return recursive || !full.slice(prefix.length).includes("/");
}

// ---------------------------------------------------------------- actions

const getParameter: Handler = (input, { store, region }) => {
  const name = required(input, "Name");
  const p = store.get(name);
  if (!p) throw notFound(name);
  return { Parameter: toWire(p, region, input.WithDecryption === true) };
};

const getParameters: Handler = (input, { store, region }) => {
  const names = Array.isArray(input.Names) ? input.Names.filter((n): n is string => typeof n === "string") : [];
  if (names.length === 0) {
    throw validation("1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1.");
  }
  if (names.length > MAX_NAMES) {
    throw validation(
      `1 validation error detected: Value '[${names.join(", ")}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAMES}.`,
    );
  }
  const unique = [...new Set(names)];
  const found = unique.flatMap((n) => store.get(n) ?? []);
  return {
    Parameters: found.map((p) => toWire(p, region, input.WithDecryption === true)),
    InvalidParameters: unique.filter((n) => !store.has(n)),
  };
};

const getParametersByPath: Handler = (input, { store, region }) => {
  const path = required(input, "Path");
  const max = typeof input.MaxResults === "number" ? input.MaxResults : MAX_PAGE;
  if (max > MAX_PAGE) {
    throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`);
  }
  if (max < 1) {
    throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  if (!path.startsWith("/")) {
    throw validation(
      'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.',
    );
  }
  const token = str(input, "NextToken");
  const after = token === undefined ? undefined : decodeToken(token);
  const matching = [...store.values()]
    .filter((p) => underPath(p.name, path, input.Recursive === true))
    .filter((p) => after === undefined || p.name > after)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = matching.slice(0, max);
  const last = page[page.length - 1];
  return {
    Parameters: page.map((p) => toWire(p, region, input.WithDecryption === true)),
    ...(matching.length > page.length && last ? { NextToken: encodeToken(last.name) } : {}),
  };
};

const putParameter: Handler = (input, { store }) => {
  const name = required(input, "Name");
  const value = required(input, "Value");
  const type = str(input, "Type");
  const requestedTier = str(input, "Tier");
  if (type !== undefined && !TYPES.includes(type)) {
    throw validation(`1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`);
  }
  if (requestedTier !== undefined && !TIERS.includes(requestedTier)) {
    throw validation(`1 validation error detected: Value '${requestedTier}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]`);
  }
  const existing = store.get(name);
  const tier = effectiveTier(value, requestedTier, existing);
  checkValue(value, tier);
  if (existing && input.Overwrite !== true) {
    throw new SsmError(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
  }
  if (!existing && type === undefined) throw validation("A parameter type is required when you create a parameter.");
  if (existing?.tier === "Advanced" && tier === "Standard") {
    throw validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.");
  }
  const version = (existing?.version ?? 0) + 1;
  const finalType = (type ?? existing?.type ?? "String") as ParameterType;
  store.set(name, { name, type: finalType, value, version, tier, modified: new Date() });
  return { Version: version, Tier: tier };
};

const deleteParameter: Handler = (input, { store }) => {
  const name = required(input, "Name");
  if (!store.delete(name)) throw notFound(name);
  return {};
};

const ACTIONS: Readonly<Record<string, Handler>> = {
  GetParameter: getParameter,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  PutParameter: putParameter,
  DeleteParameter: deleteParameter,
};

// ---------------------------------------------------------------- HTTP plumbing

function parseInput(body: string): JsonObject | undefined {
  if (body.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** The signing region, from the SigV4 credential scope, so ARNs match the client's region. */
function regionOf(authorization: string): string {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1] ?? "us-east-1";
}

function reply(res: ServerResponse, status: number, body: JsonObject): void {
  if (res.destroyed || res.writableEnded) return; // the client gave up (e.g. its request timeout)
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(payload);
}

// ---------------------------------------------------------------- the fake

export class SsmFake {
  readonly url: string;
  private readonly store: Store = new Map();
  private readonly log: Call[] = [];
  private readonly faults = new Faults<FaultKind>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly holds = new Holds();
  /** Each request in flight by the SDK's invocation id, settled once carried out. */
  private readonly running = new Map<string, Promise<void>>();

  private constructor(private readonly server: Server) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(options: { host?: string; port?: number } = {}): Promise<SsmFake> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    const fake = new SsmFake(server);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive sockets from the SDK's agent would otherwise hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  // ---- request counting

  get calls(): ReadonlyArray<Readonly<Call>> {
    return this.log;
  }

  /** Requests of `action` (all when omitted), only those for `path` when given. */
  count(action?: string, path?: string): number {
    return this.log.filter((c) => (action === undefined || c.action === action) && (path === undefined || c.path === path)).length;
  }

  resetCalls(): void {
    this.log.length = 0;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once the request of this invocation id (if one is in flight) has been carried out. */
  carriedOut(invocationId: string): Promise<void> {
    return this.running.get(invocationId) ?? Promise.resolve();
  }

  // ---- direct access (no limits enforced: tests may need states the API refuses)

  seed(name: string, value: string, options: { type?: ParameterType; tier?: ParameterTier } = {}): number {
    const existing = this.store.get(name);
    const version = (existing?.version ?? 0) + 1;
    this.store.set(name, {
      name,
      value,
      version,
      type: options.type ?? existing?.type ?? "String",
      tier: options.tier ?? existing?.tier ?? "Standard",
      modified: new Date(),
    });
    return version;
  }

  value(name: string): string | undefined {
    return this.store.get(name)?.value;
  }

  names(prefix = ""): string[] {
    return [...this.store.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  delete(name: string): boolean {
    return this.store.delete(name);
  }

  // ---- fault injection

  inject(spec: FaultSpec): void {
    this.faults.inject(spec);
  }

  /** How many requests a "hang" fault is holding now. */
  get held(): number {
    return this.holds.size;
  }

  /** Lets every held request answer normally. */
  release(): void {
    this.holds.release();
  }

  clearFaults(): void {
    this.faults.clear();
  }

  onHold(listener: HoldListener): () => void {
    return this.holds.onHold(listener);
  }

  // ---- internals

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    const invocationId = req.headers["amz-sdk-invocation-id"];
    // Settled once the request is carried out, not when its socket closes: a held write the
    // client gave up on is still applied before idle() resolves.
    const served = this.serve(req, res).finally(() => this.settle());
    if (typeof invocationId === "string") {
      const done = served.then(
        () => undefined,
        () => undefined,
      );
      this.running.set(invocationId, done);
      void done.then(() => this.running.get(invocationId) === done && this.running.delete(invocationId));
    }
    await served;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers["x-amz-target"];
    const action = typeof target === "string" && target.startsWith("AmazonSSM.") ? target.slice("AmazonSSM.".length) : "";
    const input = parseInput(await readBody(req).catch(() => ""));
    const call: Call = { action, status: 0 };
    if (input && typeof input.Name === "string") call.name = input.Name;
    if (input && typeof input.Path === "string") call.path = input.Path;
    this.log.push(call);

    const answer = (status: number, body: JsonObject): void => {
      if (res.destroyed) return; // the client gave up: the call stays unanswered (status 0)
      call.status = status;
      reply(res, status, body);
    };
    const fail = (e: SsmError): void => answer(e.status, { __type: e.code, message: e.message });

    const fault = this.faults.take(action, call.path);
    if (fault === "down") {
      req.socket.destroy();
      return;
    }
    if (fault === "throttle") return fail(new SsmError(400, "ThrottlingException", "Rate exceeded"));
    if (fault === "5xx") return fail(new SsmError(500, "InternalServerError", "An internal error occurred. Try again later."));
    if (fault === "hang") await this.holds.hold(req, res);

    const authorization = req.headers.authorization;
    if (!authorization) {
      return fail(new SsmError(400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"));
    }
    const handler = ACTIONS[action];
    if (req.method !== "POST" || !handler) {
      // The namespace prefix is what Coral sends; the SDK strips everything up to "#".
      return fail(new SsmError(400, "com.amazon.coral.service#UnknownOperationException", `Unknown operation ${action || String(target)}`));
    }
    if (!input) return fail(new SsmError(400, "SerializationException", "Malformed JSON request body"));
    try {
      answer(200, handler(input, { store: this.store, region: regionOf(authorization) }));
    } catch (e) {
      if (e instanceof SsmError) return fail(e);
      fail(new SsmError(500, "InternalServerError", e instanceof Error ? e.message : String(e)));
    }
  }

  private settle(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
