/**
 * The docs are tests. Every fenced block of README.md, client/README.md and docs/identity.md is extracted from the files
 * themselves, so editing an example changes what runs here. Shell and TypeScript blocks run in document
 * order as one terminal session per file (variables, exports and the working directory carry over from
 * block to block), in a fresh checkout, against a fresh `npm start`. Only what a reader replaces is
 * replaced: the service URL, the API key the first start printed, and the ports (the suite picks free
 * ones). `curl` is wrapped so that it reaches 127.0.0.1 and nothing else; npm runs offline.
 *
 * Every block is classified in EXAMPLES below by its name (file › heading #n). A block that is not
 * listed fails the suite until it is; so does a listed one that no longer exists.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { propsFromContext } from "../../infra/context.js";
import { resolveProps } from "../../infra/props.js";
import { freshCheckout, REPO, userEnv, type Checkout } from "../support/checkout.js";
import { buildClient } from "../support/client-support.js";
import { npmStart } from "../support/local-server.js";
import { start, type Started } from "../support/process.js";
import { startPlatforms, type Platforms } from "./identity-platforms.js";
import { codeBlocks, type CodeBlock } from "./markdown.js";

type Example =
  /** Runs in the file's session; exit status 0, and stdout matches every pattern. */
  | { run: "shell"; expect?: RegExp[] }
  /** Saved as a file in the checkout and run with `npx tsx`, in the session. */
  | { run: "typescript"; expect?: RegExp[] }
  /**
   * A long-running command (the proxy): started in the session, ready when its output matches. Its
   * `--port 8788` becomes `--port 0`, and the port it then reports stands for 8788 in later blocks.
   */
  | { run: "daemon"; ready: RegExp }
  /** cdk.json content: its context must give valid MantleTokenVendor props. */
  | { run: "cdk-context" }
  | { skip: "needs an AWS account" | "not a command" | "run by this suite itself" | "not published yet" | "needs a workload identity" | "needs a person at a browser"; why: string };

const EXAMPLES: Record<string, Example> = {
  "README.md › Two commands #1": {
    skip: "run by this suite itself",
    why: "the suite starts npm start (on a free port) for all examples; npm ci and npm test are what CI runs around it",
  },
  "README.md › Two commands #2": {
    skip: "run by this suite itself",
    why: "the suite starts its server with npm start -- --port 0; test/local/start.test.ts runs npm start -- --offline, MANTLE_VEND_OFFLINE=1, npm start --port N and the mode line",
  },
  "README.md › Try it with curl #1": {
    run: "shell",
    expect: [/"status":"ok"/, /"defaultRegion":"us-east-1"/, /"tokenType":"bearer","region":"us-west-2"/, /"region":"us-west-2".*"models":\[/, /"object":"chat\.completion"/],
  },
  "README.md › Both CLIs from the clone #1": {
    run: "shell",
    expect: [
      /Usage: mantle-vend <command>/,
      /^bedrock-api-key-\S+$/m,
      /"region": "us-west-2"/,
      /^MODEL\s+API\s+ROUTE\s+CONTEXT\s+MAX OUTPUT\s+REASONING\s+OWNED BY\s+CREATED$/m,
      /^AWS_REGION=us-east-1$/m,
      /^a \d+-character token for us-east-1$/m,
      /^"http:\/\/127\.0\.0\.1:\d+\/v1"$/m,
    ],
  },
  "README.md › Both CLIs from the clone #2": { run: "daemon", ready: /mantle-vend proxy listening on http:\/\/127\.0\.0\.1:(\d+)/ },
  "README.md › Both CLIs from the clone #3": { run: "shell", expect: [/"object":"chat\.completion"/] },
  "README.md › Using mantle-vend from a gateway #1": { run: "shell", expect: [/^mantle-vend-client-0\.1\.0\.tgz$/m, /added 1 package/] },
  "README.md › Using mantle-vend from a gateway #2": {
    skip: "not published yet",
    why: "@mantle-vend/client is not on the registry; the block before installs the same package from its tarball",
  },
  "README.md › Using mantle-vend from a gateway #3": { run: "shell", expect: [/^bedrock-api-key-\S+$/m, /^MODEL\s+API\s+ROUTE/m] },
  "README.md › Using mantle-vend from a gateway #4": { run: "typescript", expect: [/\S.*\n.*\S/] },
  "README.md › Using mantle-vend from a gateway #5": { run: "typescript", expect: [/\S/] },
  "README.md › Coding agents and gateways #1": {
    run: "shell",
    expect: [/^✓ service http:\/\/127\.0\.0\.1:\d+: mantle-vend /m, /^✓ token: mints for us-west-2/m, /^✓ .+\/\.codex\/config\.toml: codex config current \(openai\.gpt-5\.5 on \/openai\/v1\)$/m],
  },
  "README.md › The model catalog #1": { skip: "not a command", why: "a sample answer of GET /v1/models" },
  "README.md › API keys #1": { skip: "not a command", why: "the stored key record's format" },
  "README.md › API keys #2": { skip: "needs an AWS account", why: "mantle-vend-admin against SSM, with the default AWS credential chain" },
  "README.md › API keys #3": {
    run: "shell",
    expect: [
      /^usage: mantle-vend-admin keys/m,
      /"defaultRegion":"us-west-2"/,
      /"models":\["openai\.\*"\],"mintsPerDay":100\},"mintsToday":0/,
      /PRINCIPAL\s+NAME\s+MINTS\s+QUOTA$/m,
      /^[0-9a-f]{16}\s+laptop\s+us-west-2\s/m,
      /^status\s+active$/m,
      /^mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/m,
    ],
  },
  "README.md › Identity instead of keys #1": {
    run: "shell",
    expect: [/^github-acme\s+https:\/\/token\.actions\.githubusercontent\.com\s+mantle-vend\s+us-west-2\s+active$/m, /^\{"login":null\}$/m],
  },
  "README.md › Deploy #1": { skip: "needs an AWS account", why: "cdk bootstrap and cdk deploy; test/infra synthesizes the same app offline" },
  "README.md › Deploy #2": { skip: "needs an AWS account", why: "cdk deploy with context; test/infra/context.test.ts runs cdk synth with it" },
  "README.md › Deploy #3": { run: "cdk-context" },
  "README.md › Deploy #4": {
    skip: "needs an AWS account",
    why: "the construct inside your own stack, deployed with cdk deploy; test/infra synthesizes it with these props",
  },
  "README.md › Layout #1": { skip: "not a command", why: "the repository's layout" },
  "README.md › Tests #1": {
    skip: "run by this suite itself",
    why: "npm test is what runs this suite; CI (.ci/run) runs all three after npm ci; npm run test:agents needs the real coding agents (installed as root into .agents/, each run in its own network namespace)",
  },
  "docs/identity.md › Identity policies #1": { skip: "not a command", why: "the stored policy's format" },
  "docs/identity.md › Administration #1": { skip: "not a command", why: "the commands' synopsis; each recipe below runs them" },
  "docs/identity.md › GitHub Actions #1": { run: "shell" },
  "docs/identity.md › GitHub Actions #2": { skip: "not a command", why: "a workflow file; the block after it runs its steps, the suite standing in for GitHub's token service" },
  "docs/identity.md › GitHub Actions #3": {
    run: "shell",
    expect: [/"principal": "identity:actions-acme:repo:acme\/widgets"/, /"kind": "identity"/, /^a \d+-character token for us-east-1$/m],
  },
  "docs/identity.md › Kubernetes (EKS) #1": { run: "shell" },
  "docs/identity.md › Kubernetes (EKS) #2": { skip: "not a command", why: "a pod spec; the block after it runs in the container, the suite standing in for the kubelet's projected token" },
  "docs/identity.md › Kubernetes (EKS) #3": { run: "shell", expect: [/"principal": "identity:eks-ci:runner@ci"/, /^a token for the pod$/m] },
  "docs/identity.md › Google Cloud (Compute Engine, GKE metadata) #1": { run: "shell" },
  "docs/identity.md › Google Cloud (Compute Engine, GKE metadata) #2": {
    run: "shell",
    expect: [/"principal": "identity:gcp-runners:ci-runner@acme-prod\.iam\.gserviceaccount\.com"/],
  },
  "docs/identity.md › Azure (managed identity) #1": { run: "shell" },
  "docs/identity.md › Azure (managed identity) #2": { run: "shell", expect: [/"principal": "identity:azure-ci:azure:11111111-2222-3333-4444-555555555555"/] },
  "docs/identity.md › Laptops (mantle-vend login) #1": { run: "shell" },
  "docs/identity.md › Laptops (mantle-vend login) #2": {
    skip: "needs a person at a browser",
    why: "the device flow waits for someone to confirm the code; test/client/login.test.ts runs these commands against a real OpenID Provider, confirming as a browser would",
  },
  "client/README.md › Install #1": { run: "shell", expect: [/^mantle-vend-client-0\.1\.0\.tgz$/m, /added 1 package/] },
  "client/README.md › Install #2": {
    skip: "not published yet",
    why: "@mantle-vend/client is not on the registry; the block before installs the same package from its tarball",
  },
  "client/README.md › Install #3": { run: "shell", expect: [/^bedrock-api-key-\S+$/m] },
  "client/README.md › Library #1": { run: "typescript" },
  "client/README.md › What the package exports #1": { run: "shell", expect: [/^eu-west-1 \d+$/m] },
  "client/README.md › CLI #1": {
    run: "shell",
    expect: [/Usage: mantle-vend <command>/, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/m, /^AWS_REGION=us-east-1$/m, /^a \d+-character token for us-east-1$/m, /^MODEL\s+API\s+ROUTE/m, /^openai\.gpt-oss-120b$/m],
  },
  "client/README.md › Identities instead of a key #1": {
    skip: "needs a workload identity",
    why: "a projected token file is a Kubernetes pod's; docs/identity.md's recipes run each source against loopback doubles of its endpoint",
  },
  "client/README.md › OpenClaw #1": { run: "shell", expect: [/"command": "\/\S+"/, /^http:\/\/127\.0\.0\.1:\d+\/v1$/m] },
  "client/README.md › OpenClaw #2": { run: "shell", expect: [/"default"/, /"us-east-1"/] },
  "client/README.md › Proxy #1": { run: "daemon", ready: /mantle-vend proxy listening on http:\/\/127\.0\.0\.1:(\d+)/ },
  "client/README.md › Proxy #2": { run: "shell", expect: [/"object":"chat\.completion"/, /"type":"message"/] },
};

const DOCS = ["README.md", "client/README.md", "docs/identity.md"];

/**
 * What a document's reader has that this machine does not, stood in for by the suite: docs/identity.md
 * is read on a GitHub runner, in a pod, on a GCP or Azure VM.
 */
const STAND_INS: Record<string, (scratch: string) => Promise<Platforms>> = { "docs/identity.md": startPlatforms };
const blocks = DOCS.flatMap((file) => codeBlocks(file, readFileSync(join(REPO, file), "utf8")));

/**
 * What a reader replaces in an example: the deployment's URL, the key, and the local ports. Ports are
 * the ones the servers chose themselves (port 0): a port picked in advance could be taken meanwhile.
 */
interface Placeholders {
  serverUrl: string;
  key: string;
  /** The running proxy's port, once a block started it. */
  proxyPort?: string;
  /** A document's own stand-ins: what it names → what the suite runs in its place (docs/identity.md's platforms). */
  replacements?: Array<[string, string]>;
}

function substitute(code: string, p: Placeholders): string {
  const serverPort = new URL(p.serverUrl).port;
  const replaced = code
    .replaceAll("mvk_…", p.key)
    .replaceAll("https://abc123.lambda-url.us-east-1.on.aws", p.serverUrl)
    .replaceAll("127.0.0.1:8787", `127.0.0.1:${serverPort}`)
    .replaceAll("--port 8788", "--port 0");
  const own = (p.replacements ?? []).reduce((text, [from, to]) => text.replaceAll(from, to), replaced);
  return p.proxyPort === undefined ? own : own.replaceAll("127.0.0.1:8788", `127.0.0.1:${p.proxyPort}`);
}

/** Allows a URL or host:port argument only when its host is 127.0.0.1. */
const CURL_GUARD = (realCurl: string): string => `#!/usr/bin/env bash
for arg in "$@"; do
  case "$arg" in
    http://*|https://*) rest="\${arg#*://}" ;;
    *) [[ "$arg" =~ ^[A-Za-z0-9.-]+:[0-9]+(/|$) ]] || continue; rest="$arg" ;;
  esac
  host="\${rest%%[:/]*}"
  if [[ "$host" != 127.0.0.1 ]]; then
    echo "docs test: curl may reach 127.0.0.1 only, not $arg" >&2
    exit 97
  fi
done
exec ${realCurl} "$@"
`;

/** Runs before each block: the session so far, then the block with errors stopping it. */
const PRELUDE = `set -a
[ -f "$DOCS_SESSION/state" ] && . "$DOCS_SESSION/state"
cd "$(cat "$DOCS_SESSION/cwd")"
trap 'export -p | grep -Ev "^declare -x (PWD|OLDPWD|SHLVL|_)=" > "$DOCS_SESSION/state"; pwd > "$DOCS_SESSION/cwd"' EXIT
set -eo pipefail
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBash(script: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    // Bounded: a hung example kills its whole process group.
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let checkout: Checkout;
let scratch: string;
let server: Started;
let placeholders: Placeholders;
let baseEnv: Record<string, string>;
let guard: string;

beforeAll(async () => {
  await buildClient();
  checkout = freshCheckout();
  scratch = mkdtempSync(join(tmpdir(), "mantle-vend-docs-"));
  const home = join(scratch, "home");
  guard = join(scratch, "guard");
  mkdirSync(home);
  mkdirSync(guard);
  const which = await runBash("command -v curl", process.env);
  writeFileSync(join(guard, "curl"), CURL_GUARD(which.stdout.trim()));
  chmodSync(join(guard, "curl"), 0o755);

  baseEnv = userEnv(home, { XDG_CACHE_HOME: join(home, ".cache") });
  const local = await npmStart(["--port", "0"], { cwd: checkout.dir, env: baseEnv });
  server = local.process;
  placeholders = { serverUrl: local.url, key: await local.firstKey() };
}, 120_000);

afterAll(async () => {
  await server?.stop();
  checkout?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("every example in the docs is classified", () => {
  it("lists each fenced block of the docs it runs, and nothing else", () => {
    const found = blocks.map((b) => b.id);
    expect(found.filter((id) => !(id in EXAMPLES)), "unclassified examples: add them to EXAMPLES").toEqual([]);
    expect(Object.keys(EXAMPLES).filter((id) => !found.includes(id)), "EXAMPLES names blocks the docs no longer have").toEqual([]);
  });

  it("runs every shell and TypeScript block it does not skip for a stated reason", () => {
    for (const block of blocks) {
      const example = EXAMPLES[block.id];
      if (example === undefined || "skip" in example) continue;
      const expected = example.run === "typescript" ? ["ts"] : example.run === "cdk-context" ? ["json"] : ["sh", "bash"];
      expect(expected, `${block.id} is a ${block.lang} block`).toContain(block.lang);
    }
  });
});

for (const file of DOCS) {
  // A reader's terminal session is a sequence: each block builds on the ones above it, so its order is the test.
  describe(`${file}: its examples work as a reader types them, in order, in one terminal`, { shuffle: false }, () => {
    // Each file is read on its own machine: its own terminal, global npm prefix and background servers.
    const session = () => join(scratch, file.replace(/\W/g, "_"));
    const prefix = () => join(session(), "global");
    let standIn: Platforms | undefined;
    const sessionEnv = (): NodeJS.ProcessEnv => ({
      ...baseEnv,
      ...standIn?.env,
      DOCS_SESSION: session(),
      // `npm install -g` goes to this prefix, as it would to the reader's; its bin comes before the system's.
      npm_config_prefix: prefix(),
      PATH: [guard, join(prefix(), "bin"), dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    });
    const daemons: Started[] = [];
    beforeAll(async () => {
      mkdirSync(session(), { recursive: true });
      writeFileSync(join(session(), "cwd"), checkout.dir);
      const start = STAND_INS[file];
      if (start !== undefined) {
        standIn = await start(session());
        placeholders.replacements = standIn.replacements;
      }
    });
    afterAll(async () => {
      delete placeholders.proxyPort;
      delete placeholders.replacements;
      for (const daemon of daemons) await daemon.stop();
      await standIn?.close();
    });

    for (const block of blocks.filter((b) => b.id.startsWith(`${file} ›`))) {
      const example = EXAMPLES[block.id];
      if (example === undefined) continue;
      if ("skip" in example) {
        it.skip(`${block.id} (line ${block.line}): ${example.skip} — ${example.why}`, () => undefined);
        continue;
      }
      it(`${block.id} (line ${block.line})`, async () => {
        const env = sessionEnv();
        const code = substitute(block.code, placeholders);
        switch (example.run) {
          case "cdk-context": {
            const cdkJson = JSON.parse(code) as { context: Record<string, unknown> };
            expect(() => resolveProps(propsFromContext(cdkJson.context))).not.toThrow();
            return;
          }
          case "daemon": {
            const daemon = start("bash", ["-c", `${PRELUDE}\n${code}`], { cwd: checkout.dir, env });
            daemons.push(daemon);
            placeholders.proxyPort = (await daemon.waitFor(example.ready))[1];
            return;
          }
          case "shell":
          case "typescript": {
            let script = code;
            if (example.run === "typescript") {
              const name = `example-${block.line}.mts`;
              writeFileSync(join(checkout.dir, name), code);
              script = `npx tsx ${name}`;
            }
            const ran = await runBash(`${PRELUDE}\n${script}`, env);
            expect(ran.code, `${block.id} failed:\n${ran.stdout}\n${ran.stderr}`).toBe(0);
            for (const pattern of example.expect ?? []) expect(ran.stdout, `${block.id}: stdout`).toMatch(pattern);
            expectQuiet(block, ran);
          }
        }
      });
    }
  });
}

/** No deprecation notices, no stack traces, no doubled /v1 anywhere in what the reader sees. */
function expectQuiet(block: CodeBlock, ran: Ran): void {
  const all = `${ran.stdout}\n${ran.stderr}`;
  expect(all, block.id).not.toContain("NodeVersionSupportWarning");
  expect(all, block.id).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(all, block.id).not.toContain("/v1/v1");
}
