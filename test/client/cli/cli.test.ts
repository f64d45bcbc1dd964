import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCacheDir, FileTokenCache } from "../../../client/src/token-cache.js";
import { normaliseServiceUrl } from "../../../client/src/transport.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken } from "../../../lambda/local/mantle-emulator.js";
import { buildClient, catalogFixture, CLI, runCli, runProcess, sendJson, startStub, type Stub } from "../../support/client-support.js";
import { functionUrlEvent } from "../../support/events.js";
import { useFixture } from "../../support/fixture.js";
import { closedPort } from "../../support/ports.js";
import { keySecret } from "../../support/api-keys.js";

/** Whether `unshare -rn` (a private network namespace, loopback only) works on this machine. */
const hasNetworkNamespaces = spawnSync("unshare", ["-rn", "true"]).status === 0;

/**
 * The catalog the emulator lists in the regions the table tests read, with a model on each of
 * Mantle's three prefixes; eu-west-2 keeps its default one.
 */
const FEW_MODELS = [
  { id: "anthropic.claude-haiku-4-5" },
  { id: "deepseek.v3.2", owned_by: "deepseek", created: 1764547200 },
  { id: "moonshotai.kimi-k2-thinking", owned_by: "moonshotai", created: 1762473600 },
  { id: "openai.gpt-5.5", owned_by: "openai", created: 1777593600 },
  { id: "openai.gpt-oss-120b", owned_by: "openai", created: 1754352000 },
  { id: "qwen.qwen3-32b" },
];
const fixture = useFixture({ emulator: { catalogs: { "us-east-1": FEW_MODELS, "eu-west-1": FEW_MODELS } }, service: true });
let serverUrl: string;
let apiKey: string;
let keyId: string;
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-cli-"));
const home = join(scratch, "home");

const tokenRequests = (): number => fixture.service.events.filter((e) => e.rawPath === "/v1/tokens").length;
const baseUrlOf = (region: string): string => `${fixture.emulator.rootFor(region)}/v1`;

/** A directory's entries with their modification times ([] when it does not exist). */
function listing(dir: string): Array<[string, number]> {
  try {
    return readdirSync(dir).sort().map((name) => [name, lstatSync(join(dir, name)).mtimeMs]);
  } catch {
    return [];
  }
}

/** A fresh $XDG_CACHE_HOME, so each test starts with an empty token cache. */
function freshCacheHome(): string {
  return mkdtempSync(join(scratch, "cache-"));
}

/** Exactly the environment the CLI gets (nothing inherited from the test runner). */
function env(cacheHome: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CACHE_HOME: cacheHome,
    MANTLE_VEND_URL: serverUrl,
    MANTLE_VEND_API_KEY: apiKey,
    AWS_REGION: "us-east-1",
    ...extra,
  };
}

function cacheFile(cacheHome: string, region = "us-east-1", url = serverUrl): string {
  return new FileTokenCache({ url: normaliseServiceUrl(url), apiKey, dir: join(cacheHome, "mantle-vend") }).pathFor(region);
}

async function accepted(token: string, region: string): Promise<boolean> {
  return (await verifyBearerToken(token, { region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] })).ok;
}

beforeAll(async () => {
  await buildClient();
  serverUrl = await fixture.service.listen();
  ({ key: apiKey, keyId } = await fixture.service.createKey());
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** What the real route answers itself, for comparison with what the CLI printed. */
async function served(region: string): Promise<unknown> {
  const result = await fixture.service.api(functionUrlEvent({ key: apiKey, path: "/v1/models", query: `region=${region}` }));
  return JSON.parse(result.body);
}

describe("token prints the bare token, or with --json the server's token object", () => {
  it("bare: one line holding a token the emulator accepts", async () => {
    const result = await runCli(["token"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^bedrock-api-key-[A-Za-z0-9+/=]+\n$/);
    expect(await accepted(result.stdout.trim(), "us-east-1")).toBe(true);
  });

  it("--json: the server's object for --region, which overrides AWS_REGION", async () => {
    const result = await runCli(["token", "--json", "--region", "eu-central-1"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    const token = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(token).sort()).toEqual(["baseUrl", "expiresAt", "expiresInSeconds", "issuedAt", "region", "token", "tokenType"]);
    expect(token).toMatchObject({ tokenType: "bearer", region: "eu-central-1", baseUrl: baseUrlOf("eu-central-1"), expiresInSeconds: 3600 });
    expect(await accepted(token["token"] as string, "eu-central-1")).toBe(true);
  });
});

describe("the token cache makes `token` cheap enough to run before every request", () => {
  it("100 sequential runs make exactly one request at the server", async () => {
    const cacheHome = freshCacheHome();
    const before = tokenRequests();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const result = await runCli(["token"], env(cacheHome));
      expect(result.code).toBe(0);
      seen.add(result.stdout);
    }
    expect(tokenRequests() - before).toBe(1);
    expect(seen.size).toBe(1);
  }, 60_000);

  it("the cache file is 0600 in a 0700 directory and holds only the token answer and when it was asked for", async () => {
    const cacheHome = freshCacheHome();
    const result = await runCli(["token", "--json"], env(cacheHome));
    const file = cacheFile(cacheHome);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(cacheHome, "mantle-vend")).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(cacheHome, "mantle-vend"))).toEqual([file.slice(file.lastIndexOf("/") + 1)]);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(keySecret(apiKey));
    expect(text).not.toContain(keyId);
    const stored = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(["requestedAt", "token", "v"]);
    expect(stored["token"]).toEqual(JSON.parse(result.stdout));
  });

  it("a cached token inside its refresh window is replaced", async () => {
    const cacheHome = freshCacheHome();
    const before = tokenRequests();
    await runCli(["token"], env(cacheHome));
    const file = cacheFile(cacheHome);
    const stored = JSON.parse(readFileSync(file, "utf8")) as { requestedAt: number };
    // Pretend it was fetched 3,400 s ago: 200 s of its hour left, inside the 360 s window.
    stored.requestedAt = Date.now() - 3_400_000;
    writeFileSync(file, JSON.stringify(stored));
    const result = await runCli(["token"], env(cacheHome));
    expect(result.code).toBe(0);
    expect(tokenRequests() - before).toBe(2);
    const rewritten = JSON.parse(readFileSync(file, "utf8")) as { requestedAt: number };
    expect(rewritten.requestedAt).toBeGreaterThan(Date.now() - 60_000);
    // Outside the window even with the most jitter (499 s left; the window is at most 360 s + 20 %) it is reused.
    rewritten.requestedAt = Date.now() - 3_100_000;
    writeFileSync(file, JSON.stringify(rewritten));
    await runCli(["token"], env(cacheHome));
    expect(tokenRequests() - before).toBe(2);
  });

  it("a wrong secret with the right key id is not handed the cached token: the server is asked and says 401", async () => {
    const cacheHome = freshCacheHome();
    expect((await runCli(["token"], env(cacheHome))).code).toBe(0);
    const before = tokenRequests();
    const wrong = await runCli(["token"], env(cacheHome, { MANTLE_VEND_API_KEY: `mvk_${keyId}_${"A".repeat(43)}` }));
    expect(wrong.code).toBe(5);
    expect(wrong.stdout).toBe("");
    expect(tokenRequests() - before).toBe(1);
  });

  it("--no-cache always asks the server and leaves the cache alone", async () => {
    const cacheHome = freshCacheHome();
    const before = tokenRequests();
    for (let i = 0; i < 3; i++) expect((await runCli(["token", "--no-cache"], env(cacheHome))).code).toBe(0);
    expect(tokenRequests() - before).toBe(3);
    expect(() => readdirSync(join(cacheHome, "mantle-vend"))).toThrow();
  });

  it("a corrupt, group/world-readable, foreign-owned or symlinked cache file is ignored and rewritten", async () => {
    const cacheHome = freshCacheHome();
    await runCli(["token"], env(cacheHome));
    const file = cacheFile(cacheHome);
    const good = readFileSync(file, "utf8");

    const tamper: Array<[string, () => void]> = [
      ["corrupt", () => writeFileSync(file, "{not json")],
      ["wrong shape", () => writeFileSync(file, JSON.stringify({ v: 1, requestedAt: Date.now(), token: { token: 42 } }))],
      ["mode 0644", () => {
        writeFileSync(file, good);
        chmodSync(file, 0o644);
      }],
      ["mode 0640", () => {
        writeFileSync(file, good);
        chmodSync(file, 0o640);
      }],
      ["symlink", () => {
        const elsewhere = join(cacheHome, "elsewhere.json");
        writeFileSync(elsewhere, good, { mode: 0o600 });
        rmSync(file);
        symlinkSync(elsewhere, file);
      }],
    ];
    if (process.getuid?.() === 0) {
      tamper.push(["foreign owner", () => {
        rmSync(file, { force: true });
        writeFileSync(file, good, { mode: 0o600 });
        chownSync(file, 4242, 4242);
      }]);
    }
    for (const [what, act] of tamper) {
      act();
      const before = tokenRequests();
      const result = await runCli(["token"], env(cacheHome));
      expect(result.code, what).toBe(0);
      expect(tokenRequests() - before, what).toBe(1);
      const stat = lstatSync(file);
      expect(stat.isFile(), what).toBe(true);
      expect(stat.mode & 0o777, what).toBe(0o600);
      expect(stat.uid, what).toBe(process.getuid?.() ?? stat.uid);
      expect((JSON.parse(readFileSync(file, "utf8")) as { token: { token: string } }).token.token, what).toBe(result.stdout.trim());
    }
  });
});

describe("MANTLE_VEND_API_KEY_FILE: the key is read from a file only this user can read", () => {
  /** The key in a file of `mode`, without MANTLE_VEND_API_KEY in the environment. */
  function keyFileEnv(mode: number, content = `${apiKey}\n`): Record<string, string> {
    const file = join(mkdtempSync(join(scratch, "keyfile-")), "api-key");
    writeFileSync(file, content, { mode });
    chmodSync(file, mode);
    const e = env(freshCacheHome(), { MANTLE_VEND_API_KEY_FILE: file });
    delete e["MANTLE_VEND_API_KEY"];
    return e;
  }

  it("a 0600 (or 0400) file of this user works like MANTLE_VEND_API_KEY", async () => {
    for (const mode of [0o600, 0o400]) {
      const result = await runCli(["token"], keyFileEnv(mode));
      expect(result.code, result.stderr).toBe(0);
      expect(await accepted(result.stdout.trim(), "us-east-1")).toBe(true);
    }
  });

  it("exit 3 with a clear message for a group/world-accessible file, a missing file, or both variables set", async () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const result = await runCli(["token"], keyFileEnv(mode));
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/^mantle-vend: MANTLE_VEND_API_KEY_FILE .* must not be readable or writable by group or others \(chmod 600 /);
      expect(result.stderr).not.toContain(apiKey.slice(21));
    }
    const missing = await runCli(["token"], { ...keyFileEnv(0o600), MANTLE_VEND_API_KEY_FILE: join(scratch, "no-such-file") });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/MANTLE_VEND_API_KEY_FILE .*cannot be read/);
    const both = await runCli(["token"], { ...keyFileEnv(0o600), MANTLE_VEND_API_KEY: apiKey });
    expect(both.code).toBe(3);
    expect(both.stderr).toMatch(/set MANTLE_VEND_API_KEY or MANTLE_VEND_API_KEY_FILE, not both/);
  });

  it.skipIf(process.getuid?.() !== 0)("exit 3 for a file another user owns", async () => {
    const e = keyFileEnv(0o600);
    chownSync(e["MANTLE_VEND_API_KEY_FILE"]!, 4242, 4242);
    const result = await runCli(["token"], e);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/must be owned by/);
  });

  it("openclaw-config --secret-ref passes MANTLE_VEND_API_KEY_FILE, not the key, and the resolver reads the file", async () => {
    const e = keyFileEnv(0o600);
    const config = JSON.parse((await runCli(["openclaw-config", "--secret-ref"], e)).stdout) as {
      secrets: { providers: Record<string, { command: string; args: string[]; passEnv: string[] }> };
    };
    const provider = config.secrets.providers["mantle-vend"]!;
    expect(provider.passEnv).toEqual(["PATH", "MANTLE_VEND_URL", "MANTLE_VEND_API_KEY_FILE"]);
    const childEnv = Object.fromEntries(provider.passEnv.map((name) => [name, e[name] ?? ""]));
    const result = await runProcess(provider.command, provider.args, {
      env: { ...childEnv, XDG_CACHE_HOME: e["XDG_CACHE_HOME"]! },
      input: JSON.stringify({ protocolVersion: 1, provider: "mantle-vend", ids: ["us-east-1"] }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await accepted((JSON.parse(result.stdout) as { values: Record<string, string> }).values["us-east-1"]!, "us-east-1")).toBe(true);
  });
});

describe("env prints export lines that set both variables in a shell", () => {
  it("eval in bash sets AWS_BEARER_TOKEN_BEDROCK and AWS_REGION", async () => {
    const e = env(freshCacheHome(), { AWS_REGION: "us-west-2" });
    const result = await runProcess(
      "bash",
      ["-c", `set -e; eval "$("${process.execPath}" "${CLI}" env)"; printf '%s\\n%s\\n' "$AWS_BEARER_TOKEN_BEDROCK" "$AWS_REGION"`],
      { env: e },
    );
    expect(result.code).toBe(0);
    const [token, region] = result.stdout.trim().split("\n");
    expect(region).toBe("us-west-2");
    expect(await accepted(token ?? "", "us-west-2")).toBe(true);
  });

  it("env and token share the cache", async () => {
    const cacheHome = freshCacheHome();
    const before = tokenRequests();
    const token = (await runCli(["token"], env(cacheHome))).stdout.trim();
    const lines = (await runCli(["env"], env(cacheHome))).stdout;
    expect(lines).toBe(`export AWS_BEARER_TOKEN_BEDROCK='${token}'\nexport AWS_REGION='us-east-1'\n`);
    expect(tokenRequests() - before).toBe(1);
  });
});

describe("exec runs a command with the variables set and passes its exit status through", () => {
  it("the child sees both variables, not the API key, and its exit code is mantle-vend's", async () => {
    const result = await runCli(
      ["exec", "--", "bash", "-c", 'test -n "$AWS_BEARER_TOKEN_BEDROCK" && echo "$AWS_REGION:${AWS_BEARER_TOKEN_BEDROCK:0:16}:${MANTLE_VEND_API_KEY:-unset}"; exit 7'],
      env(freshCacheHome()),
    );
    expect(result.code).toBe(7);
    expect(result.stdout).toBe("us-east-1:bedrock-api-key-:unset\n");
  });

  it("a child killed by a signal makes mantle-vend die of the same signal", async () => {
    const result = await runCli(["exec", "--", "bash", "-c", "kill -TERM $$"], env(freshCacheHome()));
    expect(result.signal).toBe("SIGTERM");
  });

  it("a missing command exits 127; no command is a usage error", async () => {
    const cacheHome = freshCacheHome();
    const missing = await runCli(["exec", "--", "definitely-not-a-command-xyz"], env(cacheHome));
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe("mantle-vend: command not found: definitely-not-a-command-xyz\n");
    expect((await runCli(["exec"], env(cacheHome))).code).toBe(2);
  });
});

/**
 * What a hostile or broken server could put in a catalog. The real route sanitises its
 * catalogs, so a loopback stub serves this one: the CLI must not trust the server either.
 */
function hostileCatalog(region: string): Record<string, unknown> {
  const catalog = catalogFixture(region, baseUrlOf(region));
  catalog.models = [
    { id: "evil.\u001b[2Jclear", name: "x", ownedBy: "own\u001b]0;pwned\u0007er\u202e", created: 1e15, reasoning: false },
    { id: "long.model", name: "y", ownedBy: "o".repeat(5_000), created: -1e20, reasoning: true },
  ];
  return catalog;
}

describe("models prints a hostile catalog without control characters and without crashing", () => {
  let hostile: Stub;
  beforeAll(async () => {
    hostile = await startStub((req, res) => {
      const url = new URL(req.url, "http://stub");
      if (url.pathname !== "/v1/models") return sendJson(res, 404, { error: { code: "not_found", message: "not found", requestId: "stub" } });
      sendJson(res, 200, hostileCatalog(url.searchParams.get("region") ?? "us-east-1"), { "cache-control": "private, max-age=0", "x-request-id": "stub" });
    });
  });
  afterAll(() => hostile.close());

  it("escapes control characters and bidi overrides, cuts long cells, and shows '-' for impossible dates", async () => {
    const result = await runCli(["models", "--region", "sa-east-1", "--url", hostile.url], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(result.stdout).toContain("evil.\\x1b[2Jclear");
    expect(result.stdout).toContain("own\\x1b]0;pwned\\x07er\\u202e");
    expect(result.stdout.split("\n").every((line) => line.length < 300)).toBe(true);
    expect(result.stdout).not.toMatch(/\d{5,}-\d\d-\d\d/);
  });
});

describe("models prints the catalog as a table, or the server's object with --json", () => {
  it("the table", async () => {
    const result = await runCli(["models"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "MODEL                        API                         ROUTE       CONTEXT  MAX OUTPUT  REASONING  OWNED BY    CREATED",
        "anthropic.claude-haiku-4-5   messages                    /anthropic  200000   64000       no         -           -",
        "deepseek.v3.2                chat-completions            /v1         164000   8000        no         deepseek    2025-12-01",
        "moonshotai.kimi-k2-thinking  chat-completions            /v1         262143   16000       yes        moonshotai  2025-11-07",
        "openai.gpt-5.5               responses                   /openai/v1  1050000  128000      no         openai      2026-05-01",
        "openai.gpt-oss-120b          chat-completions,responses  /v1         128000   16000       yes        openai      2025-08-05",
        "qwen.qwen3-32b               chat-completions            /v1         -        -           no         -           -",
        "",
      ].join("\n"),
    );
    expect(fixture.service.events.filter((e) => e.rawPath === "/v1/models").at(-1)?.rawQueryString).toBe("region=us-east-1");
  });

  it("--json is the server's catalog object", async () => {
    const result = await runCli(["models", "--json", "--region", "eu-west-1", "--url", serverUrl], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(await served("eu-west-1"));
  });
});

describe("openclaw-config emits a complete OpenClaw config for the region's models", () => {
  const model = (id: string, reasoning: boolean, contextWindow: number, maxTokens: number, api = "openai-completions", input = ["text"]) => ({
    id,
    name: id,
    api,
    reasoning,
    input,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow,
    maxTokens,
  });
  // Straight to Mantle: Chat Completions models on /v1 only (not GPT-5 on /openai/v1, not Claude); unknown limits fall back.
  const models = [
    model("deepseek.v3.2", false, 164000, 8000),
    model("moonshotai.kimi-k2-thinking", true, 262143, 16000),
    model("openai.gpt-oss-120b", true, 128000, 16000),
    model("qwen.qwen3-32b", false, 32000, 4096),
  ];
  // Through the proxy, which moves each request to its model's prefix: Responses-only GPT-5 fits too; Claude still does not.
  const proxied = [...models.slice(0, 2), model("openai.gpt-5.5", false, 1050000, 128000, "openai-responses", ["text", "image"]), ...models.slice(2)];

  it("plain: apiKey is an env SecretRef to AWS_BEARER_TOKEN_BEDROCK", async () => {
    const result = await runCli(["openclaw-config"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      models: {
        providers: {
          "amazon-bedrock-mantle": {
            baseUrl: baseUrlOf("us-east-1"),
            api: "openai-completions",
            auth: "api-key",
            apiKey: { source: "env", provider: "default", id: "AWS_BEARER_TOKEN_BEDROCK" },
            models,
          },
        },
      },
    });
  });

  it("--secret-ref: an exec SecretRef and the resolver declared under secrets.providers", async () => {
    const result = await runCli(["openclaw-config", "--secret-ref", "--region", "eu-west-1"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      models: {
        providers: {
          "amazon-bedrock-mantle": {
            baseUrl: baseUrlOf("eu-west-1"),
            api: "openai-completions",
            auth: "api-key",
            apiKey: { source: "exec", provider: "mantle-vend", id: "eu-west-1" },
            models,
          },
        },
      },
      secrets: {
        providers: {
          "mantle-vend": {
            source: "exec",
            command: CLI,
            args: ["openclaw-resolver"],
            passEnv: ["PATH", "MANTLE_VEND_URL", "MANTLE_VEND_API_KEY"],
            jsonOnly: true,
          },
        },
      },
    });
  });

  it("--proxy URL: baseUrl is the proxy and apiKey a placeholder the proxy replaces", async () => {
    const result = await runCli(["openclaw-config", "--proxy", "http://127.0.0.1:8788/"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      models: {
        providers: {
          "amazon-bedrock-mantle": {
            baseUrl: "http://127.0.0.1:8788/v1",
            api: "openai-completions",
            auth: "api-key",
            apiKey: "mantle-vend-proxy",
            models: proxied,
          },
        },
      },
    });
  });

  it("--secret-ref with --url puts the URL in the resolver's args; --secret-ref with --proxy is a usage error", async () => {
    const result = await runCli(["openclaw-config", "--secret-ref", "--url", serverUrl], env(freshCacheHome()));
    const config = JSON.parse(result.stdout) as { secrets: { providers: Record<string, { args: string[] }> } };
    expect(config.secrets.providers["mantle-vend"]?.args).toEqual(["openclaw-resolver", "--url", serverUrl]);
    expect((await runCli(["openclaw-config", "--secret-ref", "--proxy", "http://127.0.0.1:1"], env(freshCacheHome()))).code).toBe(2);
  });
});

describe("models and openclaw-config against the real server's catalog", () => {
  it("lists the emulator's models, with reasoning, limits and input from the catalog; openclaw-config leaves out what /v1 chat completions cannot call", async () => {
    const callable: Array<[string, boolean, number, number, string[]]> = [
      ["deepseek.v3.2", false, 164000, 8000, ["text"]],
      ["google.gemma-3-27b-it", false, 32000, 4096, ["text", "image"]],
      ["mistral.devstral-2-123b", false, 32000, 4096, ["text"]],
      ["moonshotai.kimi-k2-thinking", true, 262143, 16000, ["text"]],
      ["openai.gpt-oss-120b", true, 128000, 16000, ["text"]],
      ["openai.gpt-oss-20b", false, 128000, 16000, ["text"]],
      ["openai.gpt-oss-safeguard-120b", true, 128000, 16000, ["text"]],
      ["qwen.qwen3-32b", false, 32000, 4096, ["text"]],
    ];
    const result = await runCli(["openclaw-config", "--region", "eu-west-2"], env(freshCacheHome()));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      models: {
        providers: {
          "amazon-bedrock-mantle": {
            baseUrl: baseUrlOf("eu-west-2"),
            api: "openai-completions",
            auth: "api-key",
            apiKey: { source: "env", provider: "default", id: "AWS_BEARER_TOKEN_BEDROCK" },
            models: callable.map(([id, reasoning, contextWindow, maxTokens, input]) => ({
              id,
              name: id,
              api: "openai-completions",
              reasoning,
              input,
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow,
              maxTokens,
            })),
          },
        },
      },
    });
    const table = await runCli(["models", "--region", "eu-west-2"], env(freshCacheHome()));
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split("\n").slice(1).map((line) => line.split(/ +/).slice(0, 3));
    expect(rows).toEqual(
      expect.arrayContaining([
        ["anthropic.claude-haiku-4-5", "messages", "/anthropic"],
        ["openai.gpt-5.5", "responses", "/openai/v1"],
        ["openai.gpt-oss-120b", "chat-completions,responses", "/v1"],
      ]),
    );
    expect(rows.map(([id]) => id)).toEqual([...callable.map(([id]) => id), "anthropic.claude-haiku-4-5", "anthropic.claude-sonnet-4-5", "openai.gpt-5.5"].sort());
  });
});

describe("openclaw-resolver answers OpenClaw's exec secret-provider protocol when run the way OpenClaw runs it", () => {
  it("runs by absolute path with no shell and only passEnv; valid tokens per region, NOT_FOUND for ids it cannot serve, well under 5 s", async () => {
    const config = JSON.parse((await runCli(["openclaw-config", "--secret-ref"], env(freshCacheHome()))).stdout) as {
      secrets: { providers: Record<string, { command: string; args: string[]; passEnv: string[]; jsonOnly: boolean }> };
    };
    const provider = config.secrets.providers["mantle-vend"]!;
    // OpenClaw's checks on the command path.
    const stat = lstatSync(provider.command);
    expect(provider.command.startsWith("/")).toBe(true);
    expect(stat.isSymbolicLink()).toBe(false);
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o022).toBe(0);
    expect(stat.mode & 0o100).toBe(0o100);

    // The gateway's environment; only passEnv reaches the resolver (so no HOME, no XDG_CACHE_HOME).
    const gateway = { PATH: process.env["PATH"] ?? "", MANTLE_VEND_URL: serverUrl, MANTLE_VEND_API_KEY: apiKey, HOME: home, SECRET_OTHER: "x" };
    const childEnv = Object.fromEntries(provider.passEnv.map((name) => [name, gateway[name as keyof typeof gateway]]).filter(([, v]) => v !== undefined));
    expect(Object.keys(childEnv).sort()).toEqual(["MANTLE_VEND_API_KEY", "MANTLE_VEND_URL", "PATH"]);
    // The one addition to passEnv: a temporary cache, so the test never writes into the real ~/.cache.
    const cacheHome = freshCacheHome();
    const resolverEnv = { ...(childEnv as Record<string, string>), XDG_CACHE_HOME: cacheHome };
    const realCache = new FileTokenCache({ url: normaliseServiceUrl(serverUrl), apiKey, dir: defaultCacheDir({}) });
    const realBefore = listing(realCache.dir);
    const ids = ["us-east-1", "eu-west-1", "default", "xx-nowhere-9", "../etc/passwd"];
    const result = await runProcess(provider.command, provider.args, {
      env: resolverEnv,
      input: JSON.stringify({ protocolVersion: 1, provider: "mantle-vend", ids }),
    });
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(3000);
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    const answer = JSON.parse(result.stdout) as { protocolVersion: number; values: Record<string, string>; errors: Record<string, { code: string; message: string }> };
    expect(answer.protocolVersion).toBe(1);
    expect(Object.keys(answer.values).sort()).toEqual(["default", "eu-west-1", "us-east-1"]);
    expect(await accepted(answer.values["us-east-1"]!, "us-east-1")).toBe(true);
    expect(await accepted(answer.values["eu-west-1"]!, "eu-west-1")).toBe(true);
    expect(await accepted(answer.values["default"]!, "us-east-1")).toBe(true);
    expect(Object.keys(answer.errors).sort()).toEqual(["../etc/passwd", "xx-nowhere-9"]);
    for (const error of Object.values(answer.errors)) expect(error).toEqual({ code: "NOT_FOUND", message: expect.any(String) });

    // A second resolution (openclaw secrets reload) is served from the shared cache.
    const before = tokenRequests();
    const again = await runProcess(provider.command, provider.args, {
      env: resolverEnv,
      input: JSON.stringify({ protocolVersion: 1, provider: "mantle-vend", ids: ["us-east-1"] }),
    });
    expect((JSON.parse(again.stdout) as { values: Record<string, string> }).values["us-east-1"]).toBe(answer.values["us-east-1"]);
    expect(tokenRequests() - before).toBe(0);
    expect(readdirSync(join(cacheHome, "mantle-vend")).length).toBeGreaterThan(0);
    for (const region of ["", "us-east-1", "eu-west-1"]) expect(() => lstatSync(realCache.pathFor(region))).toThrow();
    expect(listing(realCache.dir)).toEqual(realBefore);
  });

  it("a request that is not the protocol is a usage error with nothing on stdout", async () => {
    const result = await runCli(["openclaw-resolver"], env(freshCacheHome()), '{"protocolVersion":2,"ids":[]}');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });
});

describe("proxy serves Mantle on loopback until it is told to stop", () => {
  it("prints where it listens, forwards with a token, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [CLI, "proxy", "--port", "0"], { env: env(freshCacheHome()), stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
          if (match !== null) resolve(match[1]!);
        });
        child.on("exit", () => reject(new Error(`proxy exited: ${text}`)));
      });
      const response = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer placeholder" } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { object: string }).object).toBe("list");
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("proxy --require-key prints its own secret once and serves only callers that present it", () => {
  it("the key is on its own stderr line; without it 401, with it as Bearer or x-api-key 200", async () => {
    const child = spawn(process.execPath, [CLI, "proxy", "--port", "0", "--require-key"], { env: env(freshCacheHome()), stdio: ["ignore", "pipe", "pipe"] });
    try {
      const { url, key, text } = await new Promise<{ url: string; key: string; text: string }>((resolve, reject) => {
        let text = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
          const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
          const key = /^(mvp_[A-Za-z0-9_-]{43})$/m.exec(text);
          if (listening !== null && key !== null) resolve({ url: listening[1]!, key: key[1]!, text });
        });
        child.on("exit", () => reject(new Error(`proxy exited: ${text}`)));
      });
      expect(text.split(key)).toHaveLength(2); // printed once
      expect(text).not.toContain(apiKey);
      expect((await fetch(`${url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${url}/v1/models`, { headers: { "x-api-key": key } })).status).toBe(200);
    } finally {
      child.kill("SIGKILL");
    }
    }, 15_000);
});

describe("MANTLE_VEND_RETRIES sets how often a failed request is retried", () => {
  it("0: a failing server is asked once, and its error is the answer (exit 1)", async () => {
    const failing = await startStub((_req, res) => sendJson(res, 503, { error: { code: "unavailable", message: "try later", requestId: "r-1" } }));
    try {
      const result = await runCli(["token", "--no-cache"], env(freshCacheHome(), { MANTLE_VEND_URL: failing.url, MANTLE_VEND_RETRIES: "0" }));
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("try later");
      expect(failing.requests).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  it.each(["-1", "11", "1.5", "three"])("%s is refused with exit 3 before any request", async (value) => {
    const result = await runCli(["token", "--no-cache"], env(freshCacheHome(), { MANTLE_VEND_RETRIES: value }));
    expect([result.code, result.stdout, result.stderr]).toEqual([3, "", "mantle-vend: MANTLE_VEND_RETRIES must be a whole number from 0 to 10\n"]);
  });
});

describe("failures are one clear line on stderr with a distinct exit code", () => {
  it("exit 3: no service URL, no API key", async () => {
    const cacheHome = freshCacheHome();
    const noUrl = env(cacheHome);
    delete (noUrl as Record<string, string | undefined>)["MANTLE_VEND_URL"];
    const a = await runCli(["token"], noUrl);
    expect([a.code, a.stdout, a.stderr]).toEqual([3, "", "mantle-vend: no service URL: set MANTLE_VEND_URL or pass --url\n"]);
    const b = await runCli(["token"], env(cacheHome, { MANTLE_VEND_API_KEY: "" }));
    expect([b.code, b.stdout, b.stderr]).toEqual([3, "", "mantle-vend: no API key or identity: set MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE) or MANTLE_VEND_IDENTITY, or run mantle-vend login\n"]);
  });

  it("exit 3: the API key is not sent over plain http to a non-loopback host unless --allow-insecure-http", async () => {
    const insecure = "http://gateway.invalid:8787";
    const result = await runCli(["token", "--no-cache"], env(freshCacheHome(), { MANTLE_VEND_URL: insecure }));
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^mantle-vend: refusing to send the credential over plain http to gateway\.invalid.*--allow-insecure-http.*\n$/);
    expect(result.stderr).not.toContain(apiKey.slice(21));
  });

  // With the flag the CLI would connect: only inside a network namespace with nothing but loopback.
  it.skipIf(!hasNetworkNamespaces)("--allow-insecure-http and MANTLE_VEND_ALLOW_INSECURE_HTTP=1 let it try (exit 4 inside an empty network namespace)", async () => {
    const insecure = "http://gateway.invalid:8787";
    for (const [args, extra] of [
      [["--allow-insecure-http"], {}],
      [[], { MANTLE_VEND_ALLOW_INSECURE_HTTP: "1" }],
    ] as const) {
      const result = await runProcess("unshare", ["-rn", process.execPath, CLI, "token", "--no-cache", ...args], {
        env: env(freshCacheHome(), { MANTLE_VEND_URL: insecure, MANTLE_VEND_RETRIES: "0", ...extra }),
      });
      expect(result.code, result.stderr).toBe(4);
    }
  });

  it("exit 4: the server cannot be reached", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // No retries: their backoff would be real time in the CLI's own process.
    const result = await runCli(["token"], env(freshCacheHome(), { MANTLE_VEND_URL: url, MANTLE_VEND_RETRIES: "0" }));
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(`mantle-vend: cannot reach ${url}: ECONNREFUSED\n`);
  });

  it("exit 5: the API key is rejected (401), and the key is not echoed", async () => {
    const wrong = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
    const result = await runCli(["token"], env(freshCacheHome(), { MANTLE_VEND_API_KEY: wrong }));
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^mantle-vend: the server rejected the credential \(401 unauthorized\): .+\n$/);
    expect(result.stderr).not.toContain("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq");
  });

  it("exit 6: the key may not use the region (403); exit 2: a bad command line", async () => {
    const narrow = await fixture.service.createKey({ regions: ["us-west-2"] });
    const result = await runCli(["token", "--region", "us-east-1"], env(freshCacheHome(), { MANTLE_VEND_API_KEY: narrow.key }));
    expect(result.code).toBe(6);
    expect(result.stderr.split("\n")).toHaveLength(2);
    for (const args of [["token", "--bogus"], ["frobnicate"], ["token", "--region"], ["models", "--no-cache"], []]) {
      expect((await runCli(args, env(freshCacheHome()))).code, args.join(" ")).toBe(2);
    }
  });

  it("--help works for every command without any configuration", async () => {
    for (const command of ["token", "env", "exec", "models", "openclaw-config", "openclaw-resolver", "proxy"]) {
      const result = await runCli([command, "--help"], { PATH: process.env["PATH"] ?? "" });
      expect(result.code, command).toBe(0);
      expect(result.stdout.startsWith(`Usage: mantle-vend ${command}`), command).toBe(true);
    }
    expect((await runCli(["--help"], { PATH: process.env["PATH"] ?? "" })).stdout).toContain("Exit codes:");
  });
});
