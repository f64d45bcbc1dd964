import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { clientFor, settings } from "../settings.js";

export const whoami: Command = {
  name: "whoami",
  summary: "print who your credential is on the service, and its grant",
  flags: [],
  help: `Prints GET /v1/whoami: the principal your API key or identity is (key:<keyId> or
identity:<policy>:<subject>), its name, and its grant as it applies on the service (regions, TTL ceiling,
rate limit).
`,
  async run(args, { env }) {
    const answer = await clientFor(settings(args, env), { cache: false }).whoami();
    stdout(`${JSON.stringify(answer, null, 2)}\n`);
    return EXIT.OK;
  },
};
