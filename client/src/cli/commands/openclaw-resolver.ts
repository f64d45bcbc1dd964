import { parseResolverRequest, resolveSecrets, type ResolverRequest } from "../../openclaw/resolver.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { readStdin, stdout } from "../output.js";
import { clientFor } from "../settings.js";

export const openclawResolver: Command = {
  name: "openclaw-resolver",
  summary: "OpenClaw exec secret provider (JSON on stdin and stdout)",
  flags: [],
  help: `OpenClaw's exec secret provider: reads {"protocolVersion":1,"provider":"…","ids":["us-east-1",…]} on stdin
and writes {"protocolVersion":1,"values":{…},"errors":{…}} on stdout. Each id is a region, or "default".
`,
  async run(_args, { settings }) {
    let request: ResolverRequest;
    try {
      request = parseResolverRequest(await readStdin());
    } catch (error) {
      throw new UsageError(`openclaw-resolver: ${error instanceof Error ? error.message : String(error)}`);
    }
    // OpenClaw gives a resolver 5 s: short attempts, one quick retry.
    const client = clientFor(settings(), { cache: true, timeoutMs: 1_500, maxRetries: 1, retryMaxDelayMs: 300 });
    const response = await resolveSecrets(request, (region) => client.getToken(region === undefined ? {} : { region }));
    stdout(`${JSON.stringify(response)}\n`);
    return EXIT.OK;
  },
};
