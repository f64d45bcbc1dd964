// A real OpenID Provider on loopback for the login suites: the `oidc-provider` package (certified by the
// OpenID Foundation) with the device authorization grant, refresh tokens (rotated) and revocation on,
// and its development interactions (sign-in and consent forms), which a test fills in over HTTP as a
// person's browser would (see OpenIdProvider.approve and deny). Its clock is Date.now: a suite that
// needs time to pass fakes Date. One double is layered on it: `slowDown(n)` answers the next n
// device-code polls with `slow_down`, which the provider itself never sends.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { readBody } from "./wire.js";

export const LOGIN_CLIENT_ID = "mantle-vend-cli";
/** The device authorization grant (RFC 8628) as a grant_type. */
export const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";

export interface ProviderOptions {
  /**
   * An `interval` (seconds, may be fractional) added to device authorization answers, which this
   * provider leaves out (RFC 8628: the client then waits 5 s). A spawned CLI that cannot be handed a
   * clock polls this often instead, so no test waits seconds for it.
   */
  pollIntervalSeconds?: number;
  /** How long a device code lives (the device authorization's expires_in). Default 600 s. */
  deviceCodeSeconds?: number;
  /** How long an ID token lives. Default 3600 s. */
  idTokenSeconds?: number;
}

/** One request the provider answered, by path (and the grant type of a token request). */
export interface ProviderCall {
  path: string;
  grantType?: string;
  status: number;
}

export class OpenIdProvider {
  readonly calls: ProviderCall[] = [];
  /** What `pollIntervalSeconds` started as; a suite may change it between tests. */
  pollIntervalSeconds: number | undefined;
  private slowDowns = 0;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly provider: Provider,
  ) {}

  static async start(options: ProviderOptions = {}): Promise<OpenIdProvider> {
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const server = createServer((req, res) => handler?.(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const signing = { ...(await exportJWK(privateKey)), kid: "op-key-1", alg: "RS256", use: "sig" };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: LOGIN_CLIENT_ID,
          token_endpoint_auth_method: "none",
          grant_types: [DEVICE_CODE, "refresh_token"],
          response_types: [],
          redirect_uris: [],
        },
      ],
      jwks: { keys: [signing] },
      cookies: { keys: ["openid-provider-test-cookie-key"] },
      features: { deviceFlow: { enabled: true }, revocation: { enabled: true }, devInteractions: { enabled: true } },
      scopes: ["openid", "offline_access", "email", "profile"],
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
      // The ID token carries what the scopes asked for (email), as Okta, Google and Entra ID do.
      conformIdTokenClaims: false,
      findAccount: async (_ctx, sub) => ({
        accountId: sub,
        claims: async () => ({ sub, email: `${sub}@acme.example`, email_verified: true, name: sub }),
      }),
      ttl: {
        DeviceCode: options.deviceCodeSeconds ?? 600,
        IdToken: options.idTokenSeconds ?? 3600,
        AccessToken: 3600,
        RefreshToken: 30 * 86_400,
        Grant: 30 * 86_400,
        Session: 30 * 86_400,
        Interaction: 3600,
      },
      // Every refresh hands out a new refresh token and retires the old one (RFC 6749 §6, OAuth 2.1).
      rotateRefreshToken: true,
    });
    const op = new OpenIdProvider(server, issuer, provider);
    op.pollIntervalSeconds = options.pollIntervalSeconds;
    provider.use(async (ctx, next) => {
      await next();
      if (op.pollIntervalSeconds !== undefined && ctx.path === new URL(deviceEndpoint(issuer)).pathname && typeof ctx.body === "object" && ctx.body !== null) {
        ctx.body = { ...ctx.body, interval: op.pollIntervalSeconds };
      }
      const grantType = ctx.oidc?.params?.grant_type;
      op.calls.push({ path: ctx.path, ...(typeof grantType === "string" ? { grantType } : {}), status: ctx.status });
    });
    const callback = provider.callback();
    handler = (req, res) => {
      // The slow_down double: while armed, a token request (the client's device-code poll) is answered here.
      if (op.slowDowns > 0 && req.method === "POST" && req.url === "/token") return void op.answerSlowDown(req, res).catch(() => res.destroy());
      void callback(req, res);
    };
    return op;
  }

  /** The next `count` device-code polls get `slow_down`. */
  slowDown(count: number): void {
    this.slowDowns += count;
  }

  private async answerSlowDown(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const grantType = new URLSearchParams(await readBody(req)).get("grant_type") ?? undefined;
    if (grantType !== DEVICE_CODE) return void res.writeHead(500).end("the slow_down double answers device-code polls only");
    this.slowDowns -= 1;
    this.calls.push({ path: "/token", grantType, status: 400 });
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "slow_down", error_description: "you are polling too quickly" }));
  }

  /** Polls of the token endpoint with the device code, in order, with their statuses. */
  polls(): ProviderCall[] {
    return this.calls.filter((call) => call.grantType === DEVICE_CODE);
  }

  /**
   * What a person does in a browser: opens the verification URL (with the code in it), confirms the
   * code, signs in as `account` and consents. Resolves once the provider shows its success page.
   */
  async approve(verificationUriComplete: string, account = "alice"): Promise<void> {
    const browser = new Browser();
    let page = await browser.open(verificationUriComplete);
    page = await browser.submit(page, "op.deviceConfirmForm");
    page = await browser.submit(page, undefined, { login: account, password: "irrelevant" });
    if (page.text.includes('name="prompt" value="consent"')) page = await browser.submit(page, undefined);
    if (!/Sign-in Success|successfully/i.test(page.text)) throw new Error(`the provider did not confirm the sign-in: ${page.status} ${page.text.slice(0, 400)}`);
  }

  /** A person who opens the verification URL, confirms the code, then cancels the sign-in. */
  async deny(verificationUriComplete: string): Promise<void> {
    const browser = new Browser();
    let page = await browser.open(verificationUriComplete);
    page = await browser.submit(page, "op.deviceConfirmForm");
    const abort = /href="([^"]*\/abort)"/.exec(page.text)?.[1];
    if (abort === undefined) throw new Error(`no way to cancel on the sign-in page: ${page.text.slice(0, 400)}`);
    await browser.go(new URL(abort.replaceAll("&amp;", "&"), page.url).href);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Page {
  url: string;
  status: number;
  text: string;
}

/** Where oidc-provider serves the device authorization endpoint (its default route). */
const deviceEndpoint = (issuer: string): string => `${issuer}/device/auth`;

/** Just enough of a browser for the provider's forms: cookies, redirects, hidden fields. */
class Browser {
  private readonly cookies = new Map<string, string>();

  /** Opens a page, running the provider's self-submitting "callback" forms as a browser's script would. */
  async open(url: string): Promise<Page> {
    let page = await this.go(url);
    for (let hops = 0; hops < 5 && page.text.includes("document.forms[0].submit()"); hops += 1) page = await this.submit(page, undefined);
    return page;
  }

  async go(url: string, init: { method?: string; form?: URLSearchParams } = {}): Promise<Page> {
    let target = url;
    let method = init.method ?? "GET";
    let body: string | undefined = init.form?.toString();
    for (let hops = 0; hops < 20; hops += 1) {
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ") };
      if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const response = await fetch(target, { method, headers, body, redirect: "manual" });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const at = pair.indexOf("=");
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === "") this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer();
        target = new URL(location, target).href;
        method = "GET";
        body = undefined;
        continue;
      }
      return { url: target, status: response.status, text: await response.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the form with this id, or the page's first form (its hidden and pre-filled fields, plus `fields`). */
  async submit(page: Page, id: string | undefined, fields: Record<string, string> = {}): Promise<Page> {
    const form = new RegExp(`<form[^>]*${id === undefined ? "" : `id="${id}"`}[^>]*>([\\s\\S]*?)</form>`).exec(page.text);
    if (form === null) throw new Error(`no form ${id} on ${page.url}: ${page.text.slice(0, 400)}`);
    const action = /action="([^"]*)"/.exec(form[0])?.[1] ?? page.url;
    const data = new URLSearchParams();
    for (const input of form[1]?.matchAll(/<input[^>]*>/g) ?? []) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? "";
      if (name !== undefined) data.set(name, value.replaceAll("&amp;", "&"));
    }
    for (const [name, value] of Object.entries(fields)) data.set(name, value);
    return this.go(new URL(action.replaceAll("&amp;", "&"), page.url).href, { method: "POST", form: data });
  }
}
