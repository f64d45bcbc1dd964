import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import type { MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { useFixture } from "../support/fixture.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { functionUrlEvent } from "../support/events.js";
import { ssmStore } from "../support/ssm.js";

interface MintedBody {
  token: string;
  region: string;
  baseUrl: string;
  expiresAt: string;
}

const fixture = useFixture({ ssm: true, emulator: { now: () => emulatorNow } });
let ssm: SsmFake;
let emulator: MantleEmulator;
let handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
let key: string;
let emulatorNow = Date.now();
let bundleText: string;

beforeAll(async () => {
  const { apiBundle } = await synthesizeBundle();
  bundleText = readFileSync(apiBundle, "utf8");
  ({ ssm, emulator } = fixture);
  ({ key } = await new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX).create({ name: "bundle-test" }));
  Object.assign(process.env, bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }));
  ({ handler } = (await import(pathToFileURL(apiBundle).href)) as { handler: typeof handler });
});

async function mint(body?: string): Promise<MintedBody> {
  const result = await handler(functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body }));
  expect(result.statusCode).toBe(200);
  expect(result.headers["x-request-id"]).toBeTruthy();
  return JSON.parse(result.body) as MintedBody;
}

async function chat(baseUrl: string, token: string): Promise<number> {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hello" }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("a cold start loads only the AWS SDK clients every container uses", () => {
  it("SSM and the credential chain are imported statically; STS (attribution mode) and DynamoDB (fleet limits) only when used", () => {
    const staticImports = [...bundleText.matchAll(/from\s*"(@aws-sdk\/[^"]+)"/g)].map((m) => m[1]);
    const dynamicImports = [...bundleText.matchAll(/import\(\s*"(@aws-sdk\/[^"]+)"\s*\)/g)].map((m) => m[1]);
    expect([...new Set(staticImports)].sort()).toEqual(["@aws-sdk/client-ssm", "@aws-sdk/credential-providers"]);
    expect([...new Set(dynamicImports)].sort()).toEqual(["@aws-sdk/client-dynamodb", "@aws-sdk/client-sts"]);
  });
});

describe("the deployed bundle mints tokens that Mantle accepts", () => {
  it("loads keys through the real SSM client at cold start and answers healthz", async () => {
    const health = await handler(functionUrlEvent({ path: "/healthz" }));
    expect(JSON.parse(health.body)).toEqual({ status: "ok", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    // Keys and identity policies, listed side by side.
    expect(ssm.calls.filter((c) => c.action === "GetParametersByPath").map((c) => c.path).sort()).toEqual(["/mantle-vend/identities", "/mantle-vend/keys"]);
  });

  it("is accepted in its region until expiry and refused one second after", async () => {
    const minted = await mint('{"region":"us-west-2","ttlSeconds":300}');
    expect(minted.region).toBe("us-west-2");
    const expiry = Date.parse(minted.expiresAt);
    emulatorNow = expiry - 1000;
    expect(await chat(minted.baseUrl, minted.token)).toBe(200);
    emulatorNow = expiry + 1000;
    expect(await chat(minted.baseUrl, minted.token)).toBe(401);
    emulatorNow = Date.now();
  });

  it("is refused in another region", async () => {
    const minted = await mint('{"region":"us-west-2"}');
    expect(await chat(emulator.rootFor("eu-west-1") + "/v1", minted.token)).toBe(401);
  });

  it("is refused when one character of X-Amz-Signature changes", async () => {
    const minted = await mint();
    const url = Buffer.from(minted.token.slice("bedrock-api-key-".length), "base64").toString("utf8");
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`);
    expect(tampered).not.toBe(url);
    const forged = `bedrock-api-key-${Buffer.from(tampered, "utf8").toString("base64")}`;
    expect(await chat(minted.baseUrl, minted.token)).toBe(200);
    expect(await chat(minted.baseUrl, forged)).toBe(401);
  });
});
