import { openClawConfig, type OpenClawConfigMode } from "../../openclaw/config.js";
import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { proxyApiKey } from "../proxy-key.js";
import { cliCommand, clientFor, proxyUrlFlag, serviceArgs } from "../settings.js";

export const openclawConfig: Command = {
  name: "openclaw-config",
  summary: "print an OpenClaw config for the region's models",
  flags: [["secret-ref", "proxy"]],
  help: `Prints a complete OpenClaw config object with the region's models under
models.providers["amazon-bedrock-mantle"]. Its apiKey is an env SecretRef to AWS_BEARER_TOKEN_BEDROCK
(run the gateway under exec), or with --secret-ref resolved by this CLI's openclaw-resolver; with
--proxy URL its baseUrl is the mantle-vend proxy at URL, which adds the token itself (the apiKey is the
key a --require-key proxy keeps, else a placeholder).
`,
  async run(args, { env, settings }) {
    const proxyUrl = proxyUrlFlag(args);
    const s = settings();
    const catalog = await clientFor(s, { cache: false }).listModels();
    let mode: OpenClawConfigMode = { kind: "env" };
    if (proxyUrl !== undefined) mode = { kind: "proxy", url: proxyUrl, key: proxyApiKey(env, proxyUrl) };
    else if (args.flags.has("secret-ref")) {
      mode = { kind: "secret-ref", command: cliCommand(env).absolute, args: ["openclaw-resolver", ...serviceArgs(s)], credentialEnv: s.credentialEnv };
    }
    stdout(`${JSON.stringify(openClawConfig(catalog, mode), null, 2)}\n`);
    return EXIT.OK;
  },
};
