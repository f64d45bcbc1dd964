import { join } from "node:path";
import { shellQuote, shellWord } from "../cli/shell.js";
import { DEFAULT_PROXY_URL, chooseModels, displayWord, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/**
 * Any OpenAI-compatible tool (LiteLLM, LibreChat, Open WebUI, aider, the openai SDKs): such tools
 * read a static key, so they go through the proxy's `/v1`, which routes each model to its prefix.
 * Printed, the variables are shell exports; written, they go into the `.env` file of the current
 * directory, which aider, LiteLLM, docker compose and python-dotenv read.
 */
function build(context: SetupContext): SetupOutput {
  const proxy = context.proxy ?? DEFAULT_PROXY_URL;
  const { usable, chosen } = chooseModels(context, "an OpenAI-compatible tool", ["chat-completions", "responses"]);
  const baseUrl = `${proxy}/v1`;
  const text = [
    // What is eval'd: a newline in an id must not end the comment, so every value in it is one line.
    `# models in ${displayWord(context.region)}: ${usable.map((m) => `${displayWord(m.id)} (${m.apis.filter((a) => a !== "messages").join(", ")})`).join("; ")}`,
    `export OPENAI_BASE_URL=${shellQuote(baseUrl)}`,
    `export OPENAI_API_KEY=${shellQuote(context.proxyKey())}`,
    "",
  ].join("\n");
  return {
    files: [
      {
        path: context.configFile,
        format: "dotenv",
        owned: [
          { path: ["OPENAI_BASE_URL"], value: baseUrl },
          { path: ["OPENAI_API_KEY"], value: context.proxyKey() },
        ],
        fresh: [],
      },
    ],
    text,
    model: chosen.id,
    start: `the tool with those variables (a tool that reads .env finds them; a shell: set -a; . ./.env; set +a), once \`mantle-vend proxy\` serves ${proxy}, and use model ${shellWord(chosen.id)}`,
  };
}

export const openaiEnv: SetupTool = {
  name: "openai-env",
  summary: "any OpenAI-compatible tool (shell exports, or .env with --write)",
  defaultFile: () => join(process.cwd(), ".env"),
  build,
};
