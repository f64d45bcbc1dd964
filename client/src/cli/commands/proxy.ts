import { isLoopbackHost } from "../../loopback.js";
import { mantleRoot } from "../../mantle-root.js";
import type { RunningProxy } from "../../proxy/server.js";
import { writeFileAtomic } from "../atomic-write.js";
import type { Command } from "../command.js";
import { stringFlag } from "../flags.js";
import { keptProxyKey, proxyKeyFile } from "../proxy-key.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stderr } from "../output.js";
import { clientFor } from "../settings.js";

const MAX_DRAIN_SECONDS = 3600;

function wholeNumber(args: Parameters<Command["run"]>[0], flag: "port" | "drain-seconds", fallback: string, max: number): number {
  const text = stringFlag(args, flag) ?? fallback;
  if (!/^\d{1,5}$/.test(text) || Number(text) > max) throw new UsageError(`--${flag} needs a whole number from 0 to ${max}, got ${text}`);
  return Number(text);
}

/** The next SIGINT or SIGTERM. */
const signalled = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", on).off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on).on("SIGTERM", on);
  });

export const proxy: Command = {
  name: "proxy",
  summary: "local proxy to Mantle that adds the token to every request",
  flags: ["port", "host", "require-key", "rotate-key", "drain-seconds"],
  help: `Serves the region's Mantle root (/v1/…, /openai/v1/…, /anthropic/…), replacing the incoming
authorization / x-api-key header with a token that has at least 60 s left. Requests are routed by
their model with the team catalog: a model served under another prefix is sent there
(/v1/responses → /openai/v1/responses for GPT-5), a model that lacks the called API gets a 400 naming
where it is served. GET /v1/models lists the team's models an OpenAI SDK can call, GET
/anthropic/v1/models its Messages models, and GET /healthz answers the proxy itself.
Only requests whose Host names this listener (127.0.0.1, localhost, [::1] or --host, with the port) are
served; requests with an Origin header or a cross-site Sec-Fetch-Site (web pages) get 403; OPTIONS is
answered locally. Tokens go only to the Mantle roots the service lists in /v1/regions.
Without --require-key it has no authentication of its own: keep it on loopback. With it, callers send the
proxy's key; the first start makes one, prints it once and keeps it in
$XDG_CONFIG_HOME/mantle-vend/proxy/<port>.key (0600) for the next start and for setup --proxy.
SIGINT or SIGTERM stops accepting connections and lets requests in flight finish for up to
--drain-seconds (a second signal stops at once); then it exits 0.
`,
  async run(args, { env, settings }) {
    const s = settings();
    const host = stringFlag(args, "host") ?? "127.0.0.1";
    const port = wholeNumber(args, "port", "8788", 65_535);
    const drainSeconds = wholeNumber(args, "drain-seconds", "30", MAX_DRAIN_SECONDS);
    const rotate = args.flags.has("rotate-key");
    if (rotate && !args.flags.has("require-key")) throw new UsageError("--rotate-key goes with --require-key");
    const requireKey = args.flags.has("require-key");
    // A kept key (same port, not rotated) is used again, so configs that hold it keep working.
    const kept = requireKey && !rotate && port !== 0 ? keptProxyKey(env, port) : undefined;
    const client = clientFor(s, { cache: false });
    const first = await client.getToken({ minValiditySeconds: 60 }); // fail fast on a bad key or URL
    // Loaded here only: node:http is no part of a `token` run.
    const { startProxy } = await import("../../proxy/server.js");
    let running: RunningProxy;
    try {
      running = await startProxy({ client, ...(s.region === undefined ? {} : { region: s.region }), port, host, requireKey, ...(kept === undefined ? {} : { key: kept }), log: stderr });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      stderr(`${host}:${port} is already in use (another mantle-vend proxy?): stop it, or choose another --port`);
      return EXIT.FAILURE;
    }
    // Listened for before anything says the proxy is up: a supervisor may signal it as soon as it reads that.
    const stop = signalled();
    if (!isLoopbackHost(host) && !requireKey) stderr(`warning: the proxy has no authentication and listens on ${host}: anyone who reaches it can use Mantle (use --require-key)`);
    process.stderr.write(`mantle-vend proxy listening on ${running.url} → Mantle ${first.region} (${mantleRoot(first.baseUrl)})\n`);
    if (running.key !== undefined) {
      const file = proxyKeyFile(env, Number(new URL(running.url).port));
      if (kept !== undefined) process.stderr.write(`mantle-vend proxy key: the one kept in ${file} (--rotate-key makes a new one)\n`);
      else {
        writeFileAtomic(file, `${running.key}\n`, 0o600);
        // Shown once, here only (not through the redacting log): callers use it as their API key.
        process.stderr.write(`mantle-vend proxy key (send it as "Authorization: Bearer <key>" or "x-api-key: <key>"; kept in ${file} for the next start and for setup --proxy; shown once):\n${running.key}\n`);
      }
    }
    await stop;
    stderr(`proxy: stopping: requests in flight may finish for up to ${drainSeconds} s (a second signal stops at once)`);
    const now = signalled().then(async () => {
      await running.close();
      return { unfinished: -1 };
    });
    const { unfinished } = await Promise.race([running.drain(drainSeconds * 1000), now]);
    if (unfinished > 0) stderr(`proxy: stopped after ${drainSeconds} s, cutting ${unfinished} request(s) still in flight`);
    return EXIT.OK;
  },
};
