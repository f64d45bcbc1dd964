// A tiny OpenID issuer on loopback for the identity suites: it serves a discovery document and a
// JWKS over HTTP, counts every request, signs tokens with jose (any algorithm of SPEC §13, any
// header), rotates its keys, and fails on request: down (500), hang (no answer until closed), or a
// discovery document that names another issuer.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";

export type IssuerFault = "down" | "hang" | "garbage";
export type SigningAlgorithm = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "EdDSA";

interface Key {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface SignOptions {
  /** Seconds since the epoch the token is issued at (default: now on the issuer's clock). */
  now?: number;
  /** exp − iat (default 600); null: no exp at all. */
  lifetimeSeconds?: number | null;
  /** Which of the issuer's keys signs (default: the newest). */
  kid?: string;
  /** The `kid` the header claims, if other than the signing key's (null: none). */
  headerKid?: string | null;
  /** Extra header parameters (jku, x5u, crit, …). */
  header?: Record<string, unknown>;
  /** Header parameters to leave out (e.g. iat). */
  omitClaims?: string[];
}

export class TestIssuer {
  /** Every request, in order: "discovery", "jwks" or the path. */
  readonly requests: string[] = [];
  private readonly keys: Key[] = [];
  private readonly unpublished = new Map<string, Key>();
  private fault: IssuerFault | undefined;
  private discoveryIssuer: string | undefined;
  private readonly held = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    /** The issuer identifier: its base URL. */
    readonly url: string,
    private readonly now: () => number,
  ) {}

  /** A new issuer with one key of `alg` (default RS256); `path` makes the issuer `http://127.0.0.1:<port><path>`. */
  static async start(options: { alg?: SigningAlgorithm; now?: () => number; path?: string; kid?: string } = {}): Promise<TestIssuer> {
    let issuer: TestIssuer | undefined;
    const server = createServer((request, response) => issuer?.answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${options.path ?? ""}`;
    issuer = new TestIssuer(server, base, options.now ?? Date.now);
    await issuer.addKey(options.alg ?? "RS256", options.kid);
    return issuer;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** The public keys, as the JWKS endpoint serves them. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /** A new signing key (published at once); returns its kid. */
  async addKey(alg: SigningAlgorithm = "RS256", kid = `k-${randomBytes(4).toString("hex")}`): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    this.keys.push({ kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } });
    return kid;
  }

  /** Signs with a key the issuer does not publish (yet): a token from after a rotation the server has not seen. */
  async addUnpublishedKey(alg: SigningAlgorithm = "RS256", kid = `k-${randomBytes(4).toString("hex")}`): Promise<{ kid: string; publish: () => void }> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const key: Key = { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
    this.unpublished.set(kid, key);
    return { kid, publish: () => void this.keys.push(key) };
  }

  /** The PEM of the newest key's public half (what an HS256 forgery would use as its secret). */
  async publicKeyPem(): Promise<string> {
    const key = this.newest();
    const imported = await importJWK(key.publicJwk, key.alg, { extractable: true });
    if (imported instanceof Uint8Array) throw new Error("not an asymmetric key");
    return exportSPKI(imported);
  }

  setFault(fault: IssuerFault | undefined): void {
    this.fault = fault;
    if (fault === undefined) this.releaseHeld();
  }

  /** The discovery document names this issuer instead of itself. */
  setDiscoveryIssuer(issuer: string | undefined): void {
    this.discoveryIssuer = issuer;
  }

  count(what: "discovery" | "jwks"): number {
    return this.requests.filter((request) => request === what).length;
  }

  /** A signed JWT with these claims, `iss` this issuer unless given. */
  async sign(claims: Record<string, unknown>, options: SignOptions = {}): Promise<string> {
    const key = options.kid === undefined ? this.newest() : (this.keys.find((k) => k.kid === options.kid) ?? this.unpublished.get(options.kid));
    if (key === undefined) throw new Error(`no key ${options.kid}`);
    const iat = options.now ?? Math.floor(this.now() / 1000);
    const lifetime = options.lifetimeSeconds === undefined ? 600 : options.lifetimeSeconds;
    const payload: Record<string, unknown> = { iss: this.url, iat, ...(lifetime === null ? {} : { exp: iat + lifetime }), ...claims };
    for (const omitted of options.omitClaims ?? []) delete payload[omitted];
    const headerKid = options.headerKid === undefined ? key.kid : options.headerKid;
    const header = { alg: key.alg, typ: "JWT", ...(headerKid === null ? {} : { kid: headerKid }), ...options.header };
    const critical = options.header?.crit;
    const crit = Array.isArray(critical) ? Object.fromEntries(critical.map((name) => [String(name), true])) : undefined;
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key.privateKey, crit === undefined ? undefined : { crit });
  }

  async close(): Promise<void> {
    this.releaseHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newest(): Key {
    const key = this.keys.at(-1);
    if (key === undefined) throw new Error("the issuer has no key");
    return key;
  }

  private releaseHeld(): void {
    for (const response of this.held) response.destroy();
    this.held.clear();
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? "/", this.url).pathname;
    const base = new URL(this.url).pathname.replace(/\/$/, "");
    const what = path === `${base}/.well-known/openid-configuration` ? "discovery" : path === `${base}/jwks` ? "jwks" : path;
    this.requests.push(what);
    if (this.fault === "hang") {
      this.held.add(response);
      return;
    }
    if (this.fault === "down") return void response.writeHead(500, { "content-type": "text/plain" }).end("down");
    if (this.fault === "garbage") return void response.writeHead(200, { "content-type": "application/json" }).end("{not json");
    if (what === "discovery") {
      const document = { issuer: this.discoveryIssuer ?? this.url, jwks_uri: this.jwksUri, id_token_signing_alg_values_supported: ["RS256"] };
      return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
    }
    if (what === "jwks") return void response.writeHead(200, { "content-type": "application/jwk-set+json" }).end(JSON.stringify(this.jwks()));
    response.writeHead(404).end();
  }
}

/** A token that is not signed at all: `alg: none` and an empty signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}
