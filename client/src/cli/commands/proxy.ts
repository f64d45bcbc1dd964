import { isLoopbackHost } from "../../loopback.js";
import { mantleRoot } from "../../mantle-root.js";
import { stringFlag, type Command } from "../command.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stderr } from "../output.js";
import { clientFor } from "../settings.js";

export const proxy: Command = {
  name: "proxy",
  summary: "local proxy to Mantle that adds the token to every request",
  flags: ["port", "host", "require-key"],
  help: `Serves the region's Mantle root (/v1/…, /openai/v1/…, /anthropic/…), replacing the incoming
authorization / x-api-key header with a token that has at least 60 s left. Requests are routed by
their model with the team catalog: a model served under another prefix is sent there
(/v1/responses → /openai/v1/responses for GPT-5), a model that lacks the called API gets a 400 naming
where it is served, and GET /v1/models answers the team's curated list.
Only requests whose Host names this listener (127.0.0.1, localhost, [::1] or --host, with the port) are
served; requests with an Origin header or a cross-site Sec-Fetch-Site (web pages) get 403; OPTIONS is
answered locally. Tokens go only to the Mantle roots the service lists in /v1/regions.
Without --require-key it has no authentication of its own: keep it on loopback.
`,
  async run(args, { settings }) {
    const s = settings();
    const host = stringFlag(args, "host") ?? "127.0.0.1";
    const portText = stringFlag(args, "port") ?? "8788";
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port needs a port number, got ${portText}`);
    const client = clientFor(s, { cache: false });
    const first = await client.getToken({ minValiditySeconds: 60 }); // fail fast on a bad key or URL
    // Loaded here only: node:http is no part of a `token` run.
    const { startProxy } = await import("../../proxy/server.js");
    const requireKey = args.flags.has("require-key");
    const running = await startProxy({ client, ...(s.region === undefined ? {} : { region: s.region }), port: Number(portText), host, requireKey, log: stderr });
    if (!isLoopbackHost(host) && !requireKey) stderr(`warning: the proxy has no authentication and listens on ${host}: anyone who reaches it can use Mantle (use --require-key)`);
    process.stderr.write(`mantle-vend proxy listening on ${running.url} → Mantle ${first.region} (${mantleRoot(first.baseUrl)})\n`);
    if (running.key !== undefined) {
      // Shown once, here only (not through the redacting log): callers use it as their API key.
      process.stderr.write(`mantle-vend proxy key (send it as "Authorization: Bearer <key>" or "x-api-key: <key>"; shown once):\n${running.key}\n`);
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await running.close();
    return EXIT.OK;
  },
};
