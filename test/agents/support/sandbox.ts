/**
 * One tool run, inside its own network and mount namespaces (started by namespace.ts through
 * `unshare -n -m`): loopback up, /etc/resolv.conf pointing at a DNS stub on 127.0.0.1:53 that logs
 * every query, `npm start --offline` and (for proxy mode) `mantle-vend proxy` on their default ports,
 * `mantle-vend` on PATH, `mantle-vend setup <tool> --write --default` merged into the user's existing
 * config where the tool reads it, then the tool under
 * `strace -f -e trace=connect,execve` (no -s, no data syscalls: request bytes, and so tokens, never
 * reach the trace).
 *
 * Usage: node --import tsx sandbox.ts <run dir>, with <run dir>/job.json; writes <run dir>/result.json.
 */
import { execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { TestIssuer } from "../../fakes/oidc-issuer.js";
import { LOGIN_CLIENT_ID, OpenIdProvider } from "../../fakes/openid-provider.js";
import { CLI, ROOT } from "../../support/client-support.js";
import { start, type Started } from "../../support/process.js";
import { answerNxdomain, queryName } from "./dns.js";
import { SERVER_URL, type Job, type RunResult } from "./job.js";

const runDir = process.argv[2];
if (runDir === undefined) throw new Error("usage: sandbox.ts <run dir>");
const job = JSON.parse(readFileSync(join(runDir, "job.json"), "utf8")) as Job;
const dnsQueries: string[] = [];
const started: Started[] = [];
/** Servers the sandbox runs in-process (an issuer, an OpenID Provider), stopped at the end. */
const stops: Array<() => Promise<void>> = [];

async function dnsStub(): Promise<() => void> {
  const udp = createSocket("udp4");
  udp.on("message", (message, peer) => {
    dnsQueries.push(queryName(message));
    udp.send(answerNxdomain(message), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => udp.bind(53, "127.0.0.1", resolve));
  const tcp = createServer((socket) =>
    socket.once("data", (data) => {
      // DNS over TCP: a two-byte length, then the message.
      const message = data.subarray(2);
      dnsQueries.push(queryName(message));
      const answer = answerNxdomain(message);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(answer.length);
      socket.end(Buffer.concat([length, answer]));
    }),
  );
  await new Promise<void>((resolve) => tcp.listen(53, "127.0.0.1", resolve));
  return () => {
    udp.close();
    tcp.close();
  };
}

function isolate(): void {
  execFileSync("ip", ["link", "set", "lo", "up"]);
  // Programs that look up root's home in /etc/passwd (an exec'd resolver gets no HOME) find the run's.
  mkdirSync(job.home, { recursive: true });
  execFileSync("mount", ["--bind", job.home, "/root"]);
  const resolv = join(runDir as string, "resolv.conf");
  writeFileSync(resolv, "nameserver 127.0.0.1\noptions attempts:1 timeout:1\n");
  // A private mount namespace (unshare -m): the host's file stays as it is.
  execFileSync("mount", ["--bind", resolv, "/etc/resolv.conf"]);
}

/** `mantle-vend` on PATH, as `npm install -g` puts it there: configs then name it, not a path into this clone. */
const BIN = join(runDir, "bin");

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: `${BIN}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: job.home,
    LANG: "C.UTF-8",
    AWS_EC2_METADATA_DISABLED: "true",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

const SERVER_DATA = (): string => join(job.home, "server-data");

/** The offline server's API key and its emulator's URL. */
async function startServer(extraEnv: Record<string, string> = {}): Promise<{ apiKey: string; emulator: string }> {
  const server = start("npm", ["start", "--", "--offline", "--port", "8787", "--data-dir", SERVER_DATA()], {
    cwd: ROOT,
    env: baseEnv({ ...job.serverEnv, ...extraEnv, POWERTOOLS_LOG_LEVEL: "SILENT" }),
  });
  started.push(server);
  const [apiKey] = await server.waitFor(/mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/);
  const [, emulator = ""] = await server.waitFor(/Mantle emulator at (http:\/\/127\.0\.0\.1:\d+)/);
  await server.waitFor(/listening on http:\/\/127\.0\.0\.1:8787/);
  return { apiKey, emulator };
}

/** Runs the CLI (as PATH finds it, or another program) to completion in the tool's working directory; returns stdout and stderr. */
function cli(args: string[], env: NodeJS.ProcessEnv, program: readonly string[] = [join(BIN, "mantle-vend")]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [command = "", ...before] = program;
    const child = spawn(command, [...before, ...args], { env, cwd: job.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** An identity policy in the server's store, written as an operator would: with mantle-vend-admin. */
async function addPolicy(args: string[]): Promise<void> {
  const admin = await cli(["identities", "add", ...args, "--local", "--data-dir", SERVER_DATA()], baseEnv({}), [process.execPath, join(ROOT, "bin", "mantle-vend-admin.js")]);
  if (admin.code !== 0) throw new Error(`mantle-vend-admin identities add failed: ${admin.stderr}`);
}

/**
 * Starts the server and makes the credential the job asks for; returns the environment that carries it
 * to setup, the proxy and the tool (with MANTLE_VEND_URL and the token cache), and the emulator's URL.
 */
async function credentialEnv(): Promise<{ env: Record<string, string>; emulator: string }> {
  const common = { MANTLE_VEND_URL: SERVER_URL, XDG_CACHE_HOME: join(job.home, ".cache") };
  if (job.credential === "key") {
    const { apiKey, emulator } = await startServer();
    return { env: { ...common, MANTLE_VEND_API_KEY: apiKey }, emulator };
  }
  if (job.credential === "identity-file") {
    // A workload's issuer, as a cluster's or a CI system's would be; its token lands in a file, as a
    // projected service-account token does.
    const issuer = await TestIssuer.start();
    stops.push(() => issuer.close());
    const { emulator } = await startServer();
    await addPolicy(["agents", "--issuer", issuer.url, "--audience", "mantle-vend", "--jwks-uri", issuer.jwksUri, "--subject", "workload:{sub}"]);
    const path = join(job.home, "identity", "token");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${await issuer.sign({ aud: "mantle-vend", sub: job.tool }, { lifetimeSeconds: 3600 })}\n`);
    return { env: { ...common, MANTLE_VEND_IDENTITY: `file:${path}` }, emulator };
  }
  // A person: the team's OpenID Provider, advertised by the server, and `mantle-vend login` against it.
  // The provider tells the CLI to poll every 50 ms instead of RFC 8628's default 5 s.
  const op = await OpenIdProvider.start({ pollIntervalSeconds: 0.05 });
  stops.push(() => op.close());
  const { emulator } = await startServer({ MANTLE_VEND_LOGIN_ISSUER: op.issuer, MANTLE_VEND_LOGIN_CLIENT_ID: LOGIN_CLIENT_ID });
  await addPolicy(["people", "--issuer", op.issuer, "--audience", LOGIN_CLIENT_ID, "--claim", "email=*@acme.example", "--subject", "{email}"]);
  const login = start(process.execPath, [CLI, "login"], { cwd: job.home, env: baseEnv(common) });
  started.push(login);
  const [, link = ""] = await login.waitFor(/to log in, open (\S+)/);
  await op.approve(link, "agent-user");
  await login.waitFor(/logged in as agent-user@acme\.example/);
  return { env: common, emulator };
}

/** The tool under strace, bounded by the job's timeout (the whole process group is killed). */
function runTool(env: NodeJS.ProcessEnv, out: string): Promise<{ code: number | null; timedOut: boolean; ms: number }> {
  const began = Date.now();
  return new Promise((resolve) => {
    // connect: where it tried to go; execve: which commands it ran (strace cuts strings at 32 bytes and
    // prints no environment, and the API key is never in argv).
    const child = spawn("strace", ["-f", "-qq", "-e", "trace=connect,execve", "-o", join(out, "strace.txt"), "--", ...job.command], {
      cwd: job.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, job.timeoutMs);
    // "exit", not "close": a killed tool's stray children may hold its output pipes open.
    child.on("exit", (code) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        writeFileSync(join(out, "stdout.txt"), stdout);
        writeFileSync(join(out, "stderr.txt"), stderr);
        resolve({ code, timedOut, ms: Date.now() - began });
      }, 200);
    });
  });
}

/** `A=1 B=2` of the command in setup's start line, "run `A=1 B=2 tool …`". */
function startLineEnv(stderr: string): Record<string, string> {
  const command = /run `([^`]+)`/.exec(stderr)?.[1] ?? "";
  const env: Record<string, string> = {};
  for (const word of command.split(" ")) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (assignment === null) break;
    env[assignment[1] as string] = assignment[2] as string;
  }
  return env;
}

async function main(): Promise<RunResult> {
  isolate();
  const stopDns = await dnsStub();
  try {
    mkdirSync(job.cwd, { recursive: true });
    mkdirSync(BIN, { recursive: true });
    symlinkSync(CLI, join(BIN, "mantle-vend"));
    const { env: mantleEnv, emulator } = await credentialEnv();
    if (job.proxy) {
      const proxy = start(join(BIN, "mantle-vend"), ["proxy", "--region", job.region, ...(job.requireKey ? ["--require-key"] : [])], { cwd: job.home, env: baseEnv(mantleEnv) });
      started.push(proxy);
      await proxy.waitFor(job.requireKey ? /^mvp_\S+$/m : /listening on http:\/\/127\.0\.0\.1:8788/);
    }
    for (const [path, text] of Object.entries(job.existing)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    const setup = await cli(["setup", job.tool, "--write", "--default", "--region", job.region, ...job.setupArgs], baseEnv(mantleEnv));
    if (setup.code !== 0) return { phase: "setup", setupStderr: setup.stderr, dnsQueries };
    const startEnv = job.startEnvFromSetup ? startLineEnv(setup.stderr) : {};
    // Armed last: the server's own catalog fetch during setup must not be the token that dies.
    if (Object.keys(job.emulatorFaults).length > 0) {
      const answer = await fetch(`${emulator}/_emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(job.emulatorFaults) });
      if (!answer.ok) throw new Error(`the emulator refused the faults: ${answer.status} ${await answer.text()}`);
    }
    const toolEnv = baseEnv({ ...job.env, ...startEnv, ...mantleEnv, PATH: `${job.pathPrefix}${baseEnv({}).PATH as string}` });
    const tool = await runTool(toolEnv, runDir as string);
    // What the emulator answered, and whether each bearer token verified (401 = it did not).
    const calls = (await (await fetch(`${emulator}/_emulator/calls?fingerprints=1`)).json()) as unknown;
    const who = await cli(["whoami"], toolEnv);
    return {
      phase: "done",
      setupStderr: setup.stderr,
      dnsQueries,
      exitCode: tool.code,
      timedOut: tool.timedOut,
      ms: tool.ms,
      calls,
      toolEnvNames: Object.keys(toolEnv).sort(),
      whoami: who.code === 0 ? (JSON.parse(who.stdout) as unknown) : { error: who.stderr },
      config: readFileSync(job.configPath, "utf8"),
      startEnv,
    };
  } finally {
    for (const child of started.reverse()) await child.stop().catch(() => undefined);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stopDns();
  }
}

main().then(
  (result) => writeFileSync(join(runDir, "result.json"), JSON.stringify(result)),
  (error: unknown) => {
    writeFileSync(join(runDir, "result.json"), JSON.stringify({ phase: "error", error: String(error), dnsQueries } satisfies RunResult));
  },
);
