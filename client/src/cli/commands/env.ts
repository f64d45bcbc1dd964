import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { clientFor } from "../settings.js";
import { shellQuote } from "../shell.js";

export const env: Command = {
  name: "env",
  summary: "print export lines for AWS_BEARER_TOKEN_BEDROCK and AWS_REGION",
  flags: ["no-cache"],
  help: `Prints shell lines that set AWS_BEARER_TOKEN_BEDROCK and AWS_REGION, e.g.  eval "$(mantle-vend env)"
`,
  async run(args, context) {
    const token = await clientFor(context.settings(), { cache: !args.flags.has("no-cache") }).getToken();
    stdout(`export AWS_BEARER_TOKEN_BEDROCK=${shellQuote(token.token)}\nexport AWS_REGION=${shellQuote(token.region)}\n`);
    return EXIT.OK;
  },
};
