import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialFreeEnv, start, type Started } from "../support/process.js";

const root = join(import.meta.dirname, "../..");
let home: string;
let server: Started;
let url: string;
let key: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "mantle-vend-local-"));
  server = start("npm", ["start", "--", "--port", "0", "--data-dir", join(home, "data")], { cwd: root, env: credentialFreeEnv(home) });
  url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  key = (await server.waitFor(/mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/))[0];
});

afterAll(async () => {
  await server?.stop();
  await rm(home, { recursive: true, force: true });
});

describe("npm start on a machine without AWS credentials", () => {
  it("says in one line that it runs offline, why, and that it signs locally for the bundled emulator", () => {
    expect(server.stderr().match(/^mantle-vend: offline \(no AWS credentials found\): signing with local credentials for the bundled Mantle emulator at http:\/\/127\.0\.0\.1:\d+$/gm)).toHaveLength(1);
  });

  it("prints its first API key once, on stdout", () => {
    expect(server.stdout().match(/mvk_/g)).toHaveLength(1);
  });

  it("vends a token that the emulator accepts for chat completions, as a newcomer would with curl", async () => {
    const minted = await fetch(`${url}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ region: "us-west-2" }),
    });
    expect(minted.status).toBe(200);
    const { token, baseUrl } = (await minted.json()) as { token: string; baseUrl: string };
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/us-west-2\/v1$/);
    const chat = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { object: string }).object).toBe("chat.completion");
    const elsewhere = await fetch(baseUrl.replace("us-west-2", "eu-west-1") + "/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(elsewhere.status).toBe(401);
  });

  it("sees keys created and revoked by mantle-vend-admin --local at once", async () => {
    const admin = (...args: string[]) =>
      promisify(execFile)(join(root, "bin/mantle-vend-admin.js"), [...args, "--local", "--data-dir", join(home, "data")], {
        cwd: root,
        env: credentialFreeEnv(home),
      });
    const created = await admin("keys", "create", "--name", "second", "--regions", "eu-west-1");
    const second = created.stdout.trim();
    expect(second).toMatch(/^mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const regions = await fetch(`${url}/v1/regions`, { headers: { authorization: `Bearer ${second}` } });
    expect(((await regions.json()) as { defaultRegion: string }).defaultRegion).toBe("eu-west-1");
    await admin("keys", "revoke", second.slice(4, 20));
    const after = await fetch(`${url}/v1/regions`, { headers: { authorization: `Bearer ${second}` } });
    expect(after.status).toBe(401);
  });
});
