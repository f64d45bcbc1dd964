import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { clientFor, settings } from "../settings.js";

export const token: Command = {
  name: "token",
  summary: "print a bearer token (cached per user until its refresh window)",
  flags: ["json", "no-cache"],
  help: `Prints a Mantle bearer token for the region: the bare token, or with --json the server's token object
({token, tokenType, region, baseUrl, issuedAt, expiresAt, expiresInSeconds}).
Tokens are cached per user ($XDG_CACHE_HOME/mantle-vend, else ~/.cache/mantle-vend; mode 0600) and
reused until their refresh window, so running this before every request is cheap. --no-cache always asks
the server and leaves the cache alone.
`,
  async run(args, { env }) {
    const answer = await clientFor(settings(args, env), { cache: !args.flags.has("no-cache") }).getToken();
    stdout(args.flags.has("json") ? `${JSON.stringify(answer, null, 2)}\n` : `${answer.token}\n`);
    return EXIT.OK;
  },
};
