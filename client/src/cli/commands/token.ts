import type { Command } from "../command.js";
import { stringFlag } from "../flags.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stderr, stdout } from "../output.js";
import { clientFor } from "../settings.js";

/** The token generator's bounds on a lifetime (the service's own maximum may be lower). */
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 43_200;

function ttlFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= MIN_TTL_SECONDS && seconds <= MAX_TTL_SECONDS)) throw new UsageError(`--ttl takes whole seconds from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}, got ${JSON.stringify(value)}`);
  return seconds;
}

export const token: Command = {
  name: "token",
  summary: "print a bearer token (cached per user until its refresh window)",
  flags: ["json", "no-cache", "ttl"],
  help: `Prints a Mantle bearer token for the region: the bare token, or with --json the server's token object
({token, tokenType, region, baseUrl, issuedAt, expiresAt, expiresInSeconds}).
Tokens are cached per user ($XDG_CACHE_HOME/mantle-vend, else ~/.cache/mantle-vend; mode 0600) and
reused until their refresh window, so running this before every request is cheap. --no-cache always asks
the server and leaves the cache alone. --ttl asks for a token of that lifetime (a cached token of another
lifetime would not be one), so it always asks the server and leaves the cache alone; the service grants at
most its maximum for the key, and says so on stderr when that is less.
`,
  async run(args, { settings }) {
    const ttlSeconds = ttlFlag(stringFlag(args, "ttl"));
    const cache = !args.flags.has("no-cache") && ttlSeconds === undefined;
    const answer = await clientFor(settings(), { cache, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) }).getToken();
    if (ttlSeconds !== undefined && answer.expiresInSeconds < ttlSeconds) {
      stderr(`note: asked for ${ttlSeconds} s, the service granted ${answer.expiresInSeconds} s (its maximum for this key)`);
    }
    stdout(args.flags.has("json") ? `${JSON.stringify(answer, null, 2)}\n` : `${answer.token}\n`);
    return EXIT.OK;
  },
};
