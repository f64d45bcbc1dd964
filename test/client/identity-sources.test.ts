/**
 * Every MANTLE_VEND_IDENTITY source, each against a loopback double of what it talks to: the GitHub
 * Actions token service, the GCE metadata server, Azure IMDS, a projected token file that rotates under
 * the client, a command. What each sends is checked as the real endpoint would check it.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identitySource, identityEnvironment } from "../../client/src/identity-source.js";
import type { IdentityHttp } from "../../client/src/identity-http.js";
import { sendJson, startStub, type Stub } from "../support/client-support.js";

const http: IdentityHttp = { fetch: (input, init) => fetch(input, init), timeoutMs: 5_000 };
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-identity-sources-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A token-shaped string (three segments) naming `label`; no source checks signatures, the service does. */
const jwt = (label: string): string => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: label, exp: 9_999_999_999 })).toString("base64url")}.c2lnbmF0dXJl`;

const sourceFor = (spec: string, env: Record<string, string | undefined> = {}) => identitySource(spec, { url: "http://127.0.0.1:1", env, http, now: Date.now });

describe("github-actions[:AUDIENCE]: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with the request token", () => {
  let service: Stub;
  beforeAll(async () => {
    // What GitHub's token service checks: its own bearer token, and an audience in the query.
    service = await startStub((req, res) => {
      const url = new URL(req.url, "http://127.0.0.1");
      if (req.headers.authorization !== "bearer runner-request-token") return sendJson(res, 401, { message: "Bad credentials" });
      sendJson(res, 200, { value: jwt(`aud=${url.searchParams.get("audience")};api=${url.searchParams.get("api-version")}`), count: 1 });
    });
  });
  afterAll(() => service.close());
  const env = (): Record<string, string> => ({ ACTIONS_ID_TOKEN_REQUEST_URL: `${service.url}/_apis/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token" });

  it("asks for audience mantle-vend by default, keeping the URL's own query", async () => {
    expect(await sourceFor("github-actions", env())()).toBe(jwt("aud=mantle-vend;api=2.0"));
    expect(service.requests.at(-1)).toMatchObject({ method: "GET", headers: { authorization: "bearer runner-request-token" } });
  });

  it("asks for the audience the spec names", async () => {
    expect(await sourceFor("github-actions:sts.amazonaws.com", env())()).toBe(jwt("aud=sts.amazonaws.com;api=2.0"));
  });

  it("without the runner's variables: a configuration error that says which permission the job needs", async () => {
    await expect(sourceFor("github-actions", {})()).rejects.toMatchObject({ code: "invalid_options", message: expect.stringContaining("id-token: write") });
  });

  it("a refusal of the token service is reported without its request token", async () => {
    const refused = sourceFor("github-actions", { ...env(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: "wrong-request-token" })();
    await expect(refused).rejects.toMatchObject({ code: "identity_unavailable", message: "the GitHub Actions token service answered HTTP 401 without a token" });
  });
});

describe("gcp:AUDIENCE: the metadata server's identity endpoint, Metadata-Flavor: Google, format=full", () => {
  let metadata: Stub;
  beforeAll(async () => {
    metadata = await startStub((req, res) => {
      const url = new URL(req.url, "http://127.0.0.1");
      // The metadata server refuses requests without the header (SSRF protection).
      if (req.headers["metadata-flavor"] !== "Google") return void res.writeHead(403).end("Missing Metadata-Flavor:Google header.");
      if (url.pathname !== "/computeMetadata/v1/instance/service-accounts/default/identity") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/html" }).end(jwt(`gcp aud=${url.searchParams.get("audience")} format=${url.searchParams.get("format")}`));
    });
  });
  afterAll(() => metadata.close());

  it("reads the token for the audience from GCE_METADATA_HOST", async () => {
    const token = await sourceFor("gcp:mantle-vend", { GCE_METADATA_HOST: new URL(metadata.url).host })();
    expect(token).toBe(jwt("gcp aud=mantle-vend format=full"));
  });

  it("needs an audience", () => {
    expect(() => sourceFor("gcp:")).toThrow(/gcp needs an audience/);
  });
});

describe("azure:RESOURCE: IMDS's token endpoint, Metadata: true, api-version and resource; the access_token", () => {
  let imds: Stub;
  beforeAll(async () => {
    imds = await startStub((req, res) => {
      const url = new URL(req.url, "http://127.0.0.1");
      if (req.headers["metadata"] !== "true") return sendJson(res, 400, { error: "invalid_request", error_description: "Required metadata header not specified" });
      if (url.pathname !== "/metadata/identity/oauth2/token" || url.searchParams.get("api-version") !== "2018-02-01") return sendJson(res, 400, { error: "invalid_request" });
      sendJson(res, 200, { access_token: jwt(`azure resource=${url.searchParams.get("resource")}`), token_type: "Bearer", expires_in: "3599" });
    });
  });
  afterAll(() => imds.close());

  it("reads the access token for the resource from MANTLE_VEND_AZURE_IMDS_URL", async () => {
    expect(await sourceFor("azure:api://mantle-vend", { MANTLE_VEND_AZURE_IMDS_URL: imds.url })()).toBe(jwt("azure resource=api://mantle-vend"));
  });

  it("an IMDS error is reported by its status", async () => {
    const failing = await startStub((_req, res) => sendJson(res, 400, { error: "invalid_resource" }));
    try {
      await expect(sourceFor("azure:nope", { MANTLE_VEND_AZURE_IMDS_URL: failing.url })()).rejects.toMatchObject({ code: "identity_unavailable", message: expect.stringContaining("HTTP 400") });
    } finally {
      await failing.close();
    }
  });
});

describe("file:PATH: the token in a file, read again each time a new one is needed, symlinks followed", () => {
  it("follows a kubelet-style rotation: ..data swapped to a new timestamped directory", async () => {
    const volume = join(scratch, "projected");
    mkdirSync(join(volume, "..2026_11_25_12_00_00.1"), { recursive: true });
    writeFileSync(join(volume, "..2026_11_25_12_00_00.1", "token"), `${jwt("first")}\n`);
    symlinkSync("..2026_11_25_12_00_00.1", join(volume, "..data"));
    symlinkSync("..data/token", join(volume, "token"));
    const source = sourceFor(`file:${join(volume, "token")}`);
    expect(await source()).toBe(jwt("first"));
    mkdirSync(join(volume, "..2026_11_25_12_50_00.2"));
    writeFileSync(join(volume, "..2026_11_25_12_50_00.2", "token"), jwt("second"));
    symlinkSync("..2026_11_25_12_50_00.2", join(volume, "..data_tmp"));
    renameSync(join(volume, "..data_tmp"), join(volume, "..data"));
    expect(await source()).toBe(jwt("second"));
  });

  it("a missing or empty file is a clear failure, without contents", async () => {
    await expect(sourceFor(`file:${join(scratch, "absent")}`)()).rejects.toMatchObject({ code: "identity_unavailable", message: expect.stringContaining("cannot be read (ENOENT)") });
    writeFileSync(join(scratch, "empty"), "\n");
    await expect(sourceFor(`file:${join(scratch, "empty")}`)()).rejects.toMatchObject({ message: expect.stringContaining("is empty") });
  });
});

describe("command:CMD: sh -c CMD, its stdout trimmed; a failure shows the last line of its stderr", () => {
  it("prints the token", async () => {
    expect(await sourceFor(`command:printf '%s\\n' '${jwt("cmd")}'`)()).toBe(jwt("cmd"));
  });

  it("reads the environment it is given", async () => {
    expect(await sourceFor("command:printf %s \"$TOKEN_FROM_VAULT\"", { PATH: process.env["PATH"], TOKEN_FROM_VAULT: jwt("vault") })()).toBe(jwt("vault"));
  });

  it("a failing command: its exit status and the last line of stderr", async () => {
    const failing = sourceFor("command:echo 'first line' >&2; echo 'vault: permission denied' >&2; exit 3");
    await expect(failing()).rejects.toMatchObject({ code: "identity_unavailable", message: "command: the identity command failed (exit status 3): vault: permission denied" });
  });

  it("a command that prints nothing is a failure too", async () => {
    await expect(sourceFor("command:true")()).rejects.toMatchObject({ message: "command: the identity command printed nothing" });
  });

  it("a command that does not finish in time is stopped", async () => {
    const { runIdentityCommand } = await import("../../client/src/identity-command.js");
    // No waiting: a deadline of 0 ms passes before the command could answer.
    await expect(runIdentityCommand("sleep 30", {}, 0)).rejects.toMatchObject({ message: expect.stringContaining("did not finish") });
  });
});

describe("specs", () => {
  it.each(["aws:x", "", "gcp", "azure", "file:", "command:", "login:alice", "github-actions:"])("%j is refused with the list of specs", (spec) => {
    expect(() => sourceFor(spec)).toThrow(/MANTLE_VEND_IDENTITY/);
  });

  it("names the variables each source reads, for commands run with few of them (OpenClaw's resolver)", () => {
    expect(identityEnvironment("github-actions:x")).toEqual(["MANTLE_VEND_IDENTITY", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);
    expect(identityEnvironment("file:/t")).toEqual(["MANTLE_VEND_IDENTITY"]);
    expect(identityEnvironment("login")).toEqual(["MANTLE_VEND_IDENTITY", "HOME", "XDG_CONFIG_HOME"]);
  });
});
